// Package resume streams StreamComplete so that a dropped connection costs the caller nothing: when a
// call breaks without an answer from the gateway, it calls again with the same request id and
// resume_after_position = the last position received, and yields every event exactly once.
//
// The gateway keeps a stream's run going after its reader left only when `replay.keepDetachedRunsMs` is
// above 0 (docs/replay.md); with the default 0 the resume gets the run's CANCELED status instead.
package resume

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"iter"
	"time"

	"connectrpc.com/connect"
	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"github.com/modelgate/modelgate/clients/go/gen/modelgate/v1/modelgatev1connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Receiver yields one call's events: the next one, or io.EOF after the last.
type Receiver interface {
	Recv() (*modelgatev1.StreamCompleteResponse, error)
}

// Open starts one StreamComplete call. GRPC and Connect make one from the generated clients.
type Open func(ctx context.Context, request *modelgatev1.StreamCompleteRequest) (Receiver, error)

// GRPC opens calls with a grpc-go client.
func GRPC(client modelgatev1.GatewayServiceClient) Open {
	return func(ctx context.Context, request *modelgatev1.StreamCompleteRequest) (Receiver, error) {
		return client.StreamComplete(ctx, request)
	}
}

// Connect opens calls with a connect-go client (any of its protocols).
func Connect(client modelgatev1connect.GatewayServiceClient) Open {
	return func(ctx context.Context, request *modelgatev1.StreamCompleteRequest) (Receiver, error) {
		stream, err := client.StreamComplete(ctx, connect.NewRequest(request))
		if err != nil {
			return nil, err
		}
		return connectReceiver{stream}, nil
	}
}

type connectReceiver struct {
	stream *connect.ServerStreamForClient[modelgatev1.StreamCompleteResponse]
}

func (r connectReceiver) Recv() (*modelgatev1.StreamCompleteResponse, error) {
	if r.stream.Receive() {
		return r.stream.Msg(), nil
	}
	if err := r.stream.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

// Options bound the resumes. The zero value means 5 resumes, waiting 100 ms, then twice as long each time.
type Options struct {
	MaxResumes int
	Backoff    time.Duration
	// OnResume, when set, is told before each resume (for logs).
	OnResume func(afterPosition uint32, cause error)
}

// Stream yields the stream's events, each exactly once, resuming after dropped connections; it ends
// after the finish event, or yields the error that ended the stream (the gateway's, or the connection's
// once the resumes are used up). A request without a request id gets a random one: only a caller's id
// can be resumed. The request is not modified.
func Stream(ctx context.Context, open Open, request *modelgatev1.StreamCompleteRequest, options Options) iter.Seq2[*modelgatev1.StreamCompleteResponse, error] {
	maxResumes, backoff := options.MaxResumes, options.Backoff
	if maxResumes == 0 {
		maxResumes = 5
	}
	if backoff == 0 {
		backoff = 100 * time.Millisecond
	}
	return func(yield func(*modelgatev1.StreamCompleteResponse, error) bool) {
		request := proto.Clone(request).(*modelgatev1.StreamCompleteRequest)
		if request.RequestId == "" {
			request.RequestId = newRequestID()
		}
		var last uint32 // the position of the last event yielded; 0 before the first
		for resumes := 0; ; resumes++ {
			if resumes > 0 {
				request.ResumeAfterPosition = proto.Uint32(last)
			}
			err := readCall(ctx, open, request, &last, yield)
			if err == nil || errors.Is(err, errStopped) {
				return
			}
			if resumes == maxResumes || !Dropped(err) || ctx.Err() != nil {
				yield(nil, err)
				return
			}
			if options.OnResume != nil {
				options.OnResume(last, err)
			}
			select {
			case <-time.After(backoff << resumes):
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

var errStopped = errors.New("the caller stopped reading")

// readCall yields one call's events after *last, moving *last on; nil after a complete stream.
func readCall(ctx context.Context, open Open, request *modelgatev1.StreamCompleteRequest, last *uint32, yield func(*modelgatev1.StreamCompleteResponse, error) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	receiver, err := open(ctx, request)
	if err != nil {
		return err
	}
	for {
		response, err := receiver.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if response.GetPosition() <= *last {
			continue // a gateway never repeats one, but exactly once is this helper's promise
		}
		*last = response.GetPosition()
		if !yield(response, nil) {
			return errStopped
		}
	}
}

// Dropped reports whether err broke the call before the gateway's status arrived, so a resume can
// help: grpc-go reports that as UNAVAILABLE without the gateway's ErrorInfo (every status the gateway
// sends carries one); connect-go as an error not from the wire, UNAVAILABLE, or a body cut short
// (io.ErrUnexpectedEOF, which it reports as INTERNAL). A status from the gateway is never retried here:
// a resume would only repeat it.
func Dropped(err error) bool {
	var connectErr *connect.Error
	if errors.As(err, &connectErr) {
		if connect.IsWireError(connectErr) {
			return false
		}
		return connectErr.Code() == connect.CodeUnavailable || errors.Is(err, io.ErrUnexpectedEOF)
	}
	if st, ok := status.FromError(err); ok {
		if st.Code() != codes.Unavailable {
			return false
		}
		for _, detail := range st.Details() {
			if fromGateway(detail) {
				return false
			}
		}
		return true
	}
	return false
}

func fromGateway(detail any) bool {
	info, ok := detail.(*errdetails.ErrorInfo)
	return ok && info.GetDomain() == "modelgate"
}

func newRequestID() string {
	var bytes [16]byte
	_, _ = rand.Read(bytes[:])
	return "resume-" + hex.EncodeToString(bytes[:])
}
