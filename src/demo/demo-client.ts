/** A gRPC client for the demo, through connect-node's gRPC transport over h2c. */
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { MessageSchema, Role } from "../../gen/modelgate/v1/content_pb.js";

export type GatewayClient = Client<typeof GatewayService>;

export function createDemoClient(baseUrl: string): GatewayClient {
  return createClient(GatewayService, createGrpcTransport({ baseUrl }));
}

/** One user message, the shape every demo request uses. */
export function userMessage(text: string) {
  return create(MessageSchema, { role: Role.USER, parts: [{ part: { case: "text", value: text } }] });
}
