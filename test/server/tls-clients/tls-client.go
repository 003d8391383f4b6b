// Command tls-client calls Complete once over gRPC with TLS (grpc-go) and prints "ok <text>" or the
// status code's name, for test/server/tls.test.ts. Built inside the clients/go module:
//
//	(cd clients/go && go build -o /tmp/tls-client ../../test/server/tls-clients/tls-client.go)
//	/tmp/tls-client -addr 127.0.0.1:PORT -ca ca.pem [-cert client.pem -key client-key.pem] [-model chat]
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "gateway host:port")
	caFile := flag.String("ca", "", "PEM CA that signed the server certificate")
	certFile := flag.String("cert", "", "PEM client certificate (mutual TLS)")
	keyFile := flag.String("key", "", "PEM client key")
	model := flag.String("model", "chat", "alias")
	flag.Parse()

	roots := x509.NewCertPool()
	pem, err := os.ReadFile(*caFile)
	if err != nil || !roots.AppendCertsFromPEM(pem) {
		log.Fatalf("reading %s: %v", *caFile, err)
	}
	config := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if *certFile != "" {
		pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	response, err := modelgatev1.NewGatewayServiceClient(conn).Complete(ctx, &modelgatev1.CompleteRequest{
		Model: *model,
		Messages: []*modelgatev1.Message{{
			Role:  modelgatev1.Role_ROLE_USER,
			Parts: []*modelgatev1.ContentPart{{Part: &modelgatev1.ContentPart_Text{Text: "hello over tls"}}},
		}},
	})
	if err != nil {
		fmt.Println(status.Code(err).String())
		return
	}
	fmt.Println("ok", response.GetText())
}
