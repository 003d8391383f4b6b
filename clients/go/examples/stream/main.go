// Command stream calls a modelgate gateway (npm start: 127.0.0.1:8080, model "echo") with connect-go
// over the gRPC protocol: one unary Complete, one streamed StreamComplete, and a failing call whose typed
// error details (ErrorInfo reason, RetryInfo delay) are printed.
//
//	go run ./examples/stream -url http://127.0.0.1:8080 -model echo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"connectrpc.com/connect"
	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"github.com/modelgate/modelgate/clients/go/gen/modelgate/v1/modelgatev1connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "gateway base URL")
	model := flag.String("model", "echo", "alias or deployment")
	flag.Parse()

	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true) // gRPC over cleartext HTTP/2
	httpClient := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	client := modelgatev1connect.NewGatewayServiceClient(httpClient, *url, connect.WithGRPC())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	messages := []*modelgatev1.Message{{
		Role:  modelgatev1.Role_ROLE_USER,
		Parts: []*modelgatev1.ContentPart{{Part: &modelgatev1.ContentPart_Text{Text: "Hello, gateway!"}}},
	}}

	// Unary.
	response, err := client.Complete(ctx, connect.NewRequest(&modelgatev1.CompleteRequest{Model: *model, Messages: messages}))
	if err != nil {
		log.Fatalf("Complete: %v", err)
	}
	fmt.Printf("unary: %q from %s (%d output tokens)\n", response.Msg.Text, response.Msg.Route.GetDeployment(), response.Msg.Usage.GetOutputTokens())

	// Streaming.
	stream, err := client.StreamComplete(ctx, connect.NewRequest(&modelgatev1.StreamCompleteRequest{Model: *model, Messages: messages}))
	if err != nil {
		log.Fatalf("StreamComplete: %v", err)
	}
	fmt.Print("stream: ")
	for stream.Receive() {
		switch event := stream.Msg().Event.(type) {
		case *modelgatev1.StreamCompleteResponse_Start:
			fmt.Printf("[%s] ", event.Start.Deployment)
		case *modelgatev1.StreamCompleteResponse_TextDelta:
			fmt.Print(event.TextDelta.Text)
		case *modelgatev1.StreamCompleteResponse_Finish:
			fmt.Printf(" [%s]\n", event.Finish.FinishReason)
		}
	}
	if err := stream.Err(); err != nil {
		printError(err)
	}

	// A failing call: an unknown model. Every error carries ErrorInfo; RetryInfo when a wait is known.
	_, err = client.Complete(ctx, connect.NewRequest(&modelgatev1.CompleteRequest{Model: "no-such-model", Messages: messages}))
	printError(err)
}

func printError(err error) {
	var connectErr *connect.Error
	if !errors.As(err, &connectErr) {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("error: code=%s", connectErr.Code())
	for _, detail := range connectErr.Details() {
		value, valueErr := detail.Value()
		if valueErr != nil {
			continue
		}
		switch d := value.(type) {
		case *errdetails.ErrorInfo:
			fmt.Printf(" reason=%s domain=%s", d.Reason, d.Domain)
		case *errdetails.RetryInfo:
			fmt.Printf(" retry-after=%s", d.RetryDelay.AsDuration())
		}
	}
	fmt.Println()
}
