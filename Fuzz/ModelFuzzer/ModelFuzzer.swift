import StyleEngine
import FuzzSupport

/// An ONNX file from untrusted bytes: parsed (protobuf, graph), planned and run on a tiny image.
/// Anything may be refused with an error; nothing may crash, hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let model = try? StyleModel(bytes: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    let session = StyleSession(model: model)
    // A mutated pad or resize can ask for a picture thousands of times the input: refused by the
    // memory limit (what a user's machine does with its RAM) instead of seconds of work per input.
    // The fixtures need a few kilobytes at 5×6.
    session.memoryLimit = 2 << 20
    let image = [Float](repeating: 0.5, count: 3 * 6 * 5)
    _ = image.withUnsafeBufferPointer { try? session.run(image: $0.baseAddress!, channels: 3, height: 6, width: 5) }
    return 0
}

@_cdecl("ModelFuzzer_main")
public func modelFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzModel($0, $1) }
}
