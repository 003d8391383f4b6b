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

// runConnectGRPC streams with connect-go's gRPC protocol over cleartext HTTP/2 (h2c).
func runConnectGRPC(ctx context.Context, baseURL string, request *scenarioRequest) ([]line, error) {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	httpClient := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	client := modelgatev1connect.NewGatewayServiceClient(httpClient, baseURL, connect.WithGRPC())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.StreamComplete(ctx, connect.NewRequest(request.streamRequest()))
	if err != nil {
		return []line{connectErrorLine(err)}, nil
	}
	defer stream.Close()
	var lines []line
	canceled := false
	for stream.Receive() {
		if canceled {
			continue // events after our own cancel are not recorded
		}
		lines = append(lines, eventLine(stream.Msg()))
		if request.CancelAfterFirstEvent {
			canceled = true
			cancel()
		}
	}
	if err := stream.Err(); err != nil {
		lines = append(lines, connectErrorLine(err))
	}
	return lines, nil
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

// runGRPCGo streams with grpc-go.
func runGRPCGo(ctx context.Context, baseURL string, request *scenarioRequest) ([]line, error) {
	parsed, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(parsed.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	client := modelgatev1.NewGatewayServiceClient(conn)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.StreamComplete(ctx, request.streamRequest())
	if err != nil {
		return []line{grpcErrorLine(err)}, nil
	}
	var lines []line
	canceled := false
	for {
		response, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				lines = append(lines, grpcErrorLine(err))
			}
			return lines, nil
		}
		if canceled {
			continue // events after our own cancel are not recorded
		}
		lines = append(lines, eventLine(response))
		if request.CancelAfterFirstEvent {
			canceled = true
			cancel()
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
