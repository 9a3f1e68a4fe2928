import Foundation
import FuzzSupport
import PresetCatalog

/// A preset folder whose preset.json is untrusted bytes (the model files it may name exist, empty):
/// listed, looked up by name and by folder. Refusing is fine; crashing is not.
private let root: String = {
    let folder = NSTemporaryDirectory() + "stylize-preset-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder + "/p", withIntermediateDirectories: true)
    for name in ["model.onnx", "quality.onnx", "realtime.onnx"] {
        FileManager.default.createFile(atPath: folder + "/p/" + name, contents: Data())
    }
    return folder
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPreset(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: root + "/p/preset.json", contents: Data(bytes: data, count: size))
    let catalog = PresetCatalog(searchPaths: [root])
    _ = catalog.all()
    _ = try? catalog.resolve("p")
    _ = try? catalog.resolve(root + "/p")
    _ = try? catalog.defaultPreset()
    return 0
}

@_cdecl("PresetFuzzer_main")
public func presetFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzPreset($0, $1) }
}
