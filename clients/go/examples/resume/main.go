// Command resume shows a stream surviving a dropped connection. It talks to the gateway through a
// loopback TCP relay it owns, cuts every relayed connection after the third event, and lets
// resume.Stream call again with the same request id and the last position it saw: the answer arrives
// whole, each event once, from the one model run.
//
// The gateway must keep a run going while nobody reads it (`replay: { keepDetachedRunsMs: 10000 }`) and
// the model must be slow enough to cut mid-stream (the built-in `echo/echo-100ms`):
//
//	go run ./examples/resume -url http://127.0.0.1:8080 -model echo/echo-100ms [-transport grpc-go|connect-grpc]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"connectrpc.com/connect"
	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"github.com/modelgate/modelgate/clients/go/gen/modelgate/v1/modelgatev1connect"
	"github.com/modelgate/modelgate/clients/go/resume"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	gatewayURL := flag.String("url", "http://127.0.0.1:8080", "gateway base URL")
	model := flag.String("model", "echo/echo-100ms", "a model that streams slowly")
	transport := flag.String("transport", "grpc-go", "grpc-go or connect-grpc")
	cutAfter := flag.Int("cut-after", 3, "cut the connection after this many events")
	flag.Parse()

	parsed, err := url.Parse(*gatewayURL)
	if err != nil {
		log.Fatal(err)
	}
	relay, err := startRelay(parsed.Host)
	if err != nil {
		log.Fatal(err)
	}
	defer relay.Close()

	var open resume.Open
	switch *transport {
	case "grpc-go":
		conn, err := grpc.NewClient(relay.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		open = resume.GRPC(modelgatev1.NewGatewayServiceClient(conn))
	case "connect-grpc":
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		httpClient := &http.Client{Transport: &http.Transport{Protocols: protocols}}
		open = resume.Connect(modelgatev1connect.NewGatewayServiceClient(httpClient, "http://"+relay.Addr(), connect.WithGRPC()))
	default:
		log.Fatalf("unknown transport %q", *transport)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	request := &modelgatev1.StreamCompleteRequest{
		Model: *model,
		Messages: []*modelgatev1.Message{{
			Role:  modelgatev1.Role_ROLE_USER,
			Parts: []*modelgatev1.ContentPart{{Part: &modelgatev1.ContentPart_Text{Text: "one two three four five six seven eight"}}},
		}},
	}
	options := resume.Options{OnResume: func(after uint32, cause error) {
		fmt.Printf("\n[connection dropped (%v); resuming after position %d]\n", cause, after)
	}}
	events := 0
	for response, err := range resume.Stream(ctx, open, request, options) {
		if err != nil {
			log.Fatalf("stream failed: %v", err)
		}
		events++
		switch event := response.Event.(type) {
		case *modelgatev1.StreamCompleteResponse_Start:
			fmt.Printf("[%s] ", event.Start.Deployment)
		case *modelgatev1.StreamCompleteResponse_TextDelta:
			fmt.Print(event.TextDelta.Text)
		case *modelgatev1.StreamCompleteResponse_Finish:
			fmt.Printf(" [%s, %d events]\n", event.Finish.FinishReason, events)
		}
		if events == *cutAfter {
			relay.CutAll() // the network fails under the call
		}
	}
}

// relay forwards loopback TCP connections to the gateway and can cut them all at once.
type relay struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
}

func startRelay(target string) (*relay, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{listener: listener}
	go func() {
		for {
			client, err := listener.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, client, upstream)
			r.mu.Unlock()
			go pipe(client, upstream)
			go pipe(upstream, client)
		}
	}()
	return r, nil
}

func pipe(to, from net.Conn) {
	_, _ = io.Copy(to, from)
	to.Close()
	from.Close()
}

func (r *relay) Addr() string { return r.listener.Addr().String() }

// CutAll closes every relayed connection; new connections are relayed as before.
func (r *relay) CutAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, conn := range r.conns {
		conn.Close()
	}
	r.conns = nil
}

func (r *relay) Close() {
	r.listener.Close()
	r.CutAll()
}
