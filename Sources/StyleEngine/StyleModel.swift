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

    /// `fusion: false` plans every node as its own step, to compare the fused
    /// kernels against (the caller decides; the engine reads no environment).
    public convenience init(contentsOf path: String, fusion: Bool = true) throws(EngineError) {
        let bytes = try ModelProto.fileBytes(path, describing: "model")
        do throws(EngineError) {
            try self.init(bytes: bytes, fusion: fusion)
        } catch {
            throw error.prefixed("model \(path)")
        }
    }

    /// The model in `path` with rows added to its style bank: `rows` maps each bank initializer
    /// ([rows, C]) to the values of the new rows, and `weightsInput` (one weight per row) grows with them.
    public convenience init(contentsOf path: String, addingRows rows: [String: [Float]], weightsInput: String) throws(EngineError) {
        let plain = try StyleModel(contentsOf: path)
        var graph = plain.graph
        do throws(EngineError) {
            try graph.appendRows(rows, declaring: weightsInput)
        } catch {
            throw error.prefixed("model \(path)")
        }
        self.init(graph: graph, metadata: plain.metadata)
    }

    private init(graph: Graph, metadata: [String: String]) {
        self.graph = graph
        inputNames = graph.inputs.map { graph.valueNames[$0] }
        outputNames = graph.outputs.map { graph.valueNames[$0] }
        self.metadata = metadata
        opsetVersion = graph.opset
    }

    /// `fusion`: as for `init(contentsOf:fusion:)`.
    public convenience init(bytes: [UInt8], fusion: Bool = true) throws(EngineError) {
        let proto: ModelProto
        do throws(EngineError) {
            proto = try ModelProto(bytes: bytes)
        } catch {
            throw error.prefixed("malformed ONNX file")
        }
        var graph = try Graph(model: proto)
        graph.fusion = fusion
        var metadata: [String: String] = [:]
        for entry in proto.metadataProps { metadata[entry.key] = entry.value }
        self.init(graph: graph, metadata: metadata)
    }

    /// The declared shape of the input `name` when every dimension is a number (a style bank's
    /// `style_weights`, say), else nil.
    public func declaredShape(ofInput name: String) -> [Int]? {
        guard let index = inputNames.firstIndex(of: name), index < graph.inputDeclarations.count,
              let dimensions = graph.inputDeclarations[index].dimensions else { return nil }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .value(let size) = dimension, size >= 0, size <= Int64(Int32.max) else { return nil }
            shape.append(Int(size))
        }
        return shape
    }

    /// The image input's declared dimensions, if the file declares them.
    var imageDeclaration: [ValueInfoProto.Dimension]? {
        graph.inputDeclarations.first?.dimensions
    }
}
