import Foundation
import FuzzSupport
import MediaIO

/// A media file from untrusted bytes (mutated from small real files of many containers, codecs and
/// sizes): opened, and its first pictures and audio packets read, concealment included. Errors are
/// fine; crashes, hangs and leaks are not. FFmpeg itself is not instrumented, our reading of it is.
private let path = NSTemporaryDirectory() + "stylize-media-fuzz-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMedia(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard let reader = try? MediaReader(path: path) else { return 0 }
    var items = 0
    while items < 64, let item = try? reader.next() {
        if case .video(let frame) = item { _ = frame.pts }
        items += 1
    }
    return 0
}

@_cdecl("MediaFuzzer_main")
public func mediaFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzMedia($0, $1) }
}
