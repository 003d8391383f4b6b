package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"connectrpc.com/connect"
	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"github.com/modelgate/modelgate/clients/go/gen/modelgate/v1/modelgatev1connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// callResult is what one StreamComplete call adds to the transcript.
type callResult struct {
	lines []line
	// dropped: the runner cut the call after dropAfterEvents events, to resume after lastPosition.
	dropped      bool
	lastPosition uint32
}

// callState records one call's events and says when the runner stops reading: after the first event
// (cancelAfterFirstEvent), or after dropAfterEvents events of the first call (to resume it).
type callState struct {
	request  *scenarioRequest
	resuming bool
	result   callResult
	stopped  bool
	seen     int
}

// onEvent records one event; true means: cancel the call now.
func (c *callState) onEvent(response *modelgatev1.StreamCompleteResponse) bool {
	if c.stopped {
		return false // events after our own cancel are not recorded
	}
	c.result.lines = append(c.result.lines, eventLine(response))
	c.result.lastPosition = response.GetPosition()
	c.seen++
	switch {
	case c.request.CancelAfterFirstEvent:
		c.stopped = true
	case !c.resuming && c.request.DropAfterEvents > 0 && c.seen == c.request.DropAfterEvents:
		c.stopped = true
		c.result.dropped = true
	}
	return c.stopped
}

// onError records the error that ended the call, unless the runner cut it to resume.
func (c *callState) onError(l line) {
	if !c.result.dropped {
		c.result.lines = append(c.result.lines, l)
	}
}

// connectGRPCCaller streams with connect-go's gRPC protocol over cleartext HTTP/2 (h2c).
func connectGRPCCaller(baseURL string, request *scenarioRequest) func(context.Context, *uint32) (callResult, error) {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	httpClient := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	client := modelgatev1connect.NewGatewayServiceClient(httpClient, baseURL, connect.WithGRPC())

	return func(ctx context.Context, resumeAfter *uint32) (callResult, error) {
		state := &callState{request: request, resuming: resumeAfter != nil}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := client.StreamComplete(ctx, connect.NewRequest(request.streamRequest(resumeAfter)))
		if err != nil {
			state.onError(connectErrorLine(err))
			return state.result, nil
		}
		defer stream.Close()
		for stream.Receive() {
			if state.onEvent(stream.Msg()) {
				cancel()
			}
		}
		if err := stream.Err(); err != nil {
			state.onError(connectErrorLine(err))
		}
		return state.result, nil
	}
}

func connectErrorLine(err error) line {
	var details []proto.Message
	var connectErr *connect.Error
	if errors.As(err, &connectErr) {
		for _, detail := range connectErr.Details() {
			if value, valueErr := detail.Value(); valueErr == nil {
				details = append(details, value)
			}
		}
	}
	return errorLine(int(connect.CodeOf(err)), details)
}

func dialGRPCGo(baseURL string) (*grpc.ClientConn, error) {
	parsed, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	return grpc.NewClient(parsed.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// grpcGoCaller streams with grpc-go.
func grpcGoCaller(conn *grpc.ClientConn, request *scenarioRequest) func(context.Context, *uint32) (callResult, error) {
	client := modelgatev1.NewGatewayServiceClient(conn)
	return func(ctx context.Context, resumeAfter *uint32) (callResult, error) {
		state := &callState{request: request, resuming: resumeAfter != nil}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := client.StreamComplete(ctx, request.streamRequest(resumeAfter))
		if err != nil {
			state.onError(grpcErrorLine(err))
			return state.result, nil
		}
		for {
			response, err := stream.Recv()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					state.onError(grpcErrorLine(err))
				}
				return state.result, nil
			}
			if state.onEvent(response) {
				cancel()
			}
		}
	}
}

func grpcErrorLine(err error) line {
	st := status.Convert(err)
	var details []proto.Message
	for _, detail := range st.Details() {
		if message, ok := detail.(proto.Message); ok {
			details = append(details, message)
		}
	}
	return errorLine(int(st.Code()), details)
}
