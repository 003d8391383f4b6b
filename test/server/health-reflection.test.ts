/**
 * gRPC health (Check, Watch, List) and server reflection (v1 and v1alpha) through connect clients, and
 * reflection end to end through the real grpcurl binary with no .proto files.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExtensionRequestSchema,
  ServerReflection as ReflectionV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { transportFor } from "./clients.js";
import { findGrpcurl, grpcurlInstallHint, runGrpcurl } from "./grpcurl.js";
import { startTestServer, type TestServer } from "./start-test-server.js";

type ReflectionRequestInit = Partial<Pick<ServerReflectionRequest, "messageRequest">>;

describe("health and reflection", () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(async () => {
    await test.server.close(0);
  });

  describe("grpc.health.v1.Health", () => {
    it("reports SERVING for the server and the gateway service once listening", async () => {
      const health = createClient(Health, transportFor("grpc-h2c", test.server.url));
      expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
      expect((await health.check({ service: "modelgate.v1.GatewayService" })).status).toBe(Status.SERVING);
    });

    it("answers NOT_FOUND for an unknown service", async () => {
      const health = createClient(Health, transportFor("connect-http1", test.server.url));
      await expect(health.check({ service: "nope.Service" })).rejects.toMatchObject({ code: Code.NotFound });
    });

    it("lists every service's status", async () => {
      const health = createClient(Health, transportFor("connect-h2c", test.server.url));
      const { statuses } = await health.list({});
      expect(Object.keys(statuses).sort()).toEqual(["", "modelgate.v1.GatewayService", "modelgate.v1.SharedState"]);
      // Without Redis the state is this replica's memory by design: SERVING.
      expect(statuses["modelgate.v1.SharedState"]).toMatchObject({ status: Status.SERVING });
    });

    it("streams status changes from Watch until the client cancels", async () => {
      const health = createClient(Health, transportFor("grpc-h2c", test.server.url));
      const controller = new AbortController();
      const seen: Status[] = [];
      const watching = (async () => {
        for await (const response of health.watch({ service: "modelgate.v1.GatewayService" }, { signal: controller.signal })) {
          seen.push(response.status);
          if (seen.length === 1) test.server.health.set("modelgate.v1.GatewayService", "NOT_SERVING");
          if (seen.length === 2) test.server.health.set("modelgate.v1.GatewayService", "SERVING");
          if (seen.length === 3) controller.abort();
        }
      })();
      const error = await watching.then(() => undefined, (reason: unknown) => ConnectError.from(reason));
      expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
      expect(error?.code).toBe(Code.Canceled);
    });

    it("streams SERVICE_UNKNOWN from Watch for an unknown service", async () => {
      const health = createClient(Health, transportFor("connect-h2c", test.server.url));
      const controller = new AbortController();
      for await (const response of health.watch({ service: "nope" }, { signal: controller.signal })) {
        expect(response.status).toBe(Status.SERVICE_UNKNOWN);
        break;
      }
    });
  });

  for (const [version, service] of [
    ["v1", ReflectionV1],
    ["v1alpha", ReflectionV1alpha],
  ] as const) {
    describe(`grpc.reflection.${version}`, () => {
      async function ask(requests: ReflectionRequestInit[]): Promise<ServerReflectionResponse[]> {
        const client = createClient(service as typeof ReflectionV1, transportFor("grpc-h2c", test.server.url));
        const responses: ServerReflectionResponse[] = [];
        async function* input() {
          for (const request of requests) yield { host: "", ...request };
        }
        for await (const response of client.serverReflectionInfo(input())) responses.push(response);
        return responses;
      }

      const fileNames = (response: ServerReflectionResponse): string[] =>
        response.messageResponse.case === "fileDescriptorResponse"
          ? response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name)
          : [];

      it("lists the services", async () => {
        const [response] = await ask([{ messageRequest: { case: "listServices", value: "" } }]);
        expect(response.messageResponse.case).toBe("listServicesResponse");
        const names = response.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((entry) => entry.name) : [];
        expect(names).toEqual([
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "modelgate.v1.GatewayService",
        ]);
      });

      it("finds files by symbol with their transitive dependencies", async () => {
        const responses = await ask([
          { messageRequest: { case: "fileContainingSymbol", value: "modelgate.v1.GatewayService" } },
          { messageRequest: { case: "fileContainingSymbol", value: "modelgate.v1.GatewayService.StreamComplete" } },
          { messageRequest: { case: "fileContainingSymbol", value: "modelgate.v1.Usage" } },
          { messageRequest: { case: "fileContainingSymbol", value: "modelgate.v1.Role" } },
          { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" } },
          { messageRequest: { case: "fileContainingSymbol", value: "google.rpc.RetryInfo" } },
        ]);
        expect(fileNames(responses[0])).toEqual([
          "modelgate/v1/gateway_service.proto",
          "modelgate/v1/completion.proto",
          "modelgate/v1/content.proto",
          "modelgate/v1/routing.proto",
          "modelgate/v1/health.proto",
          "modelgate/v1/models.proto",
          "modelgate/v1/stream.proto",
        ]);
        expect(fileNames(responses[1])[0]).toBe("modelgate/v1/gateway_service.proto");
        expect(fileNames(responses[2])).toEqual(["modelgate/v1/routing.proto"]);
        expect(fileNames(responses[3])).toEqual(["modelgate/v1/content.proto"]);
        expect(fileNames(responses[4])).toEqual(["health/v1/health.proto"]);
        expect(fileNames(responses[5])).toEqual(["google/rpc/error_details.proto", "google/protobuf/duration.proto"]);
      });

      it("finds files by name and reports unknown names and symbols as NOT_FOUND", async () => {
        const responses = await ask([
          { messageRequest: { case: "fileByFilename", value: "modelgate/v1/errors.proto" } },
          { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
          { messageRequest: { case: "fileContainingSymbol", value: "modelgate.v1.Nope" } },
          { messageRequest: { case: "fileContainingExtension", value: create(ExtensionRequestSchema, { containingType: "modelgate.v1.Usage", extensionNumber: 100 }) } },
        ]);
        expect(fileNames(responses[0])).toEqual(["modelgate/v1/errors.proto", "modelgate/v1/routing.proto"]);
        for (const response of responses.slice(1)) {
          expect(response.messageResponse.case).toBe("errorResponse");
          expect(response.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
        }
      });

      it("answers all_extension_numbers_of_type with none for a known type", async () => {
        const [known, unknown] = await ask([
          { messageRequest: { case: "allExtensionNumbersOfType", value: "modelgate.v1.CompleteRequest" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "modelgate.v1.Nope" } },
        ]);
        expect(known.messageResponse).toMatchObject({
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: "modelgate.v1.CompleteRequest", extensionNumber: [] },
        });
        expect(unknown.messageResponse.case).toBe("errorResponse");
      });
    });
  }

  describe("grpcurl", () => {
    const binary = findGrpcurl();
    const required = process.env.CI === "true";

    it("is installed (required when CI=true)", () => {
      if (!binary && required) throw new Error(grpcurlInstallHint);
      if (!binary) console.warn(grpcurlInstallHint);
    });

    const grpcurlIt = binary || required ? it : it.skip;
    const host = (): string => new URL(test.server.url).host;
    const grpcurl = async (args: string[]) => {
      if (!binary) throw new Error(grpcurlInstallHint);
      return runGrpcurl(binary, args);
    };
    const request = JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "hello grpcurl world" }] }] });

    grpcurlIt("lists the services through reflection", async () => {
      const result = await grpcurl(["-plaintext", host(), "list"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().split("\n")).toEqual([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "modelgate.v1.GatewayService",
      ]);
    });

    grpcurlIt("describes the gateway service and a nested message", async () => {
      const service = await grpcurl(["-plaintext", host(), "describe", "modelgate.v1.GatewayService"]);
      expect(service.code, service.stderr).toBe(0);
      expect(service.stdout).toContain("rpc StreamComplete ( .modelgate.v1.StreamCompleteRequest ) returns ( stream .modelgate.v1.StreamCompleteResponse );");
      const message = await grpcurl(["-plaintext", host(), "describe", "modelgate.v1.StreamCompleteResponse"]);
      expect(message.stdout).toContain("oneof event");
    });

    grpcurlIt("invokes Complete with JSON and no proto files", async () => {
      const result = await grpcurl(["-plaintext", "-d", request, host(), "modelgate.v1.GatewayService/Complete"]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ text: "hello grpcurl world", finishReason: "FINISH_REASON_STOP" });
    });

    grpcurlIt("invokes StreamComplete and prints every event", async () => {
      const result = await grpcurl(["-plaintext", "-d", request, host(), "modelgate.v1.GatewayService/StreamComplete"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('"start"');
      expect(result.stdout).toContain('"text": "grpcurl "');
      expect(result.stdout).toContain('"finish"');
    });

    grpcurlIt("prints the error details of a failure", async () => {
      const failing = JSON.stringify({ model: "fail:PROVIDER_RATE_LIMITED", messages: [{ role: "ROLE_USER", parts: [{ text: "hi" }] }] });
      const result = await grpcurl(["-plaintext", "-d", failing, host(), "modelgate.v1.GatewayService/Complete"]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("Code: Unavailable");
      expect(result.stderr).toContain('"reason": "PROVIDER_RATE_LIMITED"');
      expect(result.stderr).toContain('"retryDelay": "1.500s"');
    });

    grpcurlIt("checks health", async () => {
      const result = await grpcurl(["-plaintext", host(), "grpc.health.v1.Health/Check"]);
      expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
    });
  });
});
