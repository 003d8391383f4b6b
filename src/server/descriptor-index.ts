/**
 * An index of the protobuf files the server exposes, for gRPC reflection: which file declares a symbol
 * (service, method, message, enum, enum value, extension, nested ones too), files by name, and each file
 * with its transitive dependencies serialized as FileDescriptorProtos. Built from protobuf-es's embedded
 * descriptors, so clients like grpcurl need no .proto files.
 */
import { toBinary, type DescEnum, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

export interface DescriptorIndex {
  /** Fully-qualified names of the services served. */
  readonly serviceNames: string[];
  /** The file (by proto name, e.g. "modelgate/v1/completion.proto") that declares a symbol. */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** A file by its proto name. */
  fileByName(name: string): DescFile | undefined;
  /** Whether a fully-qualified message type is known. */
  hasMessage(typeName: string): boolean;
  /** The file followed by all its transitive dependencies, each serialized once. */
  serializeWithDependencies(file: DescFile): Uint8Array[];
}

/** Indexes `files` (and their dependencies); `serviceNames` lists the services actually routed. */
export function createDescriptorIndex(files: DescFile[], serviceNames: string[]): DescriptorIndex {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const messages = new Set<string>();
  const serialized = new Map<DescFile, Uint8Array>();

  const addEnum = (descEnum: DescEnum, file: DescFile): void => {
    bySymbol.set(descEnum.typeName, file);
    const scope = descEnum.typeName.includes(".") ? descEnum.typeName.slice(0, descEnum.typeName.lastIndexOf(".")) : "";
    for (const value of descEnum.values) bySymbol.set(scope === "" ? value.name : `${scope}.${value.name}`, file);
  };
  const addMessage = (message: DescMessage, file: DescFile): void => {
    bySymbol.set(message.typeName, file);
    messages.add(message.typeName);
    for (const field of message.fields) bySymbol.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) bySymbol.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) addMessage(nested, file);
    for (const nested of message.nestedEnums) addEnum(nested, file);
    for (const extension of message.nestedExtensions) bySymbol.set(extension.typeName, file);
  };
  const addFile = (file: DescFile): void => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const dependency of file.dependencies) addFile(dependency);
    for (const message of file.messages) addMessage(message, file);
    for (const descEnum of file.enums) addEnum(descEnum, file);
    for (const extension of file.extensions) bySymbol.set(extension.typeName, file);
    for (const service of file.services) {
      bySymbol.set(service.typeName, file);
      for (const method of service.methods) bySymbol.set(`${service.typeName}.${method.name}`, file);
    }
  };
  for (const file of files) addFile(file);

  const serialize = (file: DescFile): Uint8Array => {
    let bytes = serialized.get(file);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file, bytes);
    }
    return bytes;
  };

  return {
    serviceNames: [...serviceNames].sort(),
    fileContainingSymbol: (symbol) => bySymbol.get(symbol.startsWith(".") ? symbol.slice(1) : symbol),
    fileByName: (name) => byName.get(name),
    hasMessage: (typeName) => messages.has(typeName),
    serializeWithDependencies(file) {
      const ordered: DescFile[] = [];
      const visit = (current: DescFile): void => {
        if (ordered.includes(current)) return;
        ordered.push(current);
        for (const dependency of current.dependencies) visit(dependency);
      };
      visit(file);
      return ordered.map(serialize);
    },
  };
}
