import Foundation

/// A loaded ONNX style network. Immutable after init, so one model can be
/// shared by many sessions on many threads.
public final class StyleModel: @unchecked Sendable {
    /// Graph inputs that are not initializers, in order; the first is the image.
    public let inputNames: [String]
    public let outputNames: [String]
    /// ModelProto.metadata_props.
    public let metadata: [String: String]
    /// The default-domain opset the model imports.
    public let opsetVersion: Int

    let graph: Graph

    public convenience init(contentsOf path: String) throws(EngineError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EngineError("cannot read model \(path): \(error.localizedDescription)")
        }
        do throws(EngineError) {
            try self.init(bytes: [UInt8](data))
        } catch {
            throw error.prefixed("model \(path)")
        }
    }

    public convenience init(bytes: [UInt8]) throws(EngineError) {
        try self.init(bytes: bytes, fusion: Planner.fusionByDefault)
    }

    /// `fusion: false` plans every node as its own step (to check the fused kernels against).
    init(bytes: [UInt8], fusion: Bool) throws(EngineError) {
        let proto: ModelProto
        do throws(EngineError) {
            proto = try ModelProto(bytes: bytes)
        } catch {
            throw error.prefixed("malformed ONNX file")
        }
        var graph = try Graph(model: proto)
        graph.fusion = fusion
        self.graph = graph
        inputNames = graph.inputs.map { graph.valueNames[$0] }
        outputNames = graph.outputs.map { graph.valueNames[$0] }
        var metadata: [String: String] = [:]
        for entry in proto.metadataProps { metadata[entry.key] = entry.value }
        self.metadata = metadata
        opsetVersion = graph.opset
    }

    /// The image input's declared dimensions, if the file declares them.
    var imageDeclaration: [ValueInfoProto.Dimension]? {
        graph.inputDeclarations.first?.dimensions
    }
}
