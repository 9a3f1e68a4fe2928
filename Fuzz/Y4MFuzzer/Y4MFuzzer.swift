import Camera
import FuzzSupport
import Glibc

/// The YUV4MPEG2 writer given any sizes, frame rates and pictures: the first 12 bytes choose the
/// stream's width, height and rate and the picture's size, the rest is the picture's packed planes.
/// A mismatched or short picture must be refused; nothing may write out of bounds.
private let sink = open("/dev/null", O_WRONLY)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzY4M(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 12 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let number = { (at: Int) in Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
    let (width, height) = (number(0) % 1024, number(2) % 1024)
    let (pictureWidth, pictureHeight) = (number(4) % 1024, number(6) % 1024)
    let writer = Y4MWriter(fileDescriptor: sink, width: width, height: height, frameRate: (number(8), number(10)))
    _ = writer.header
    let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[12...])
    if let picture = I420Planes(packed: rest, width: pictureWidth, height: pictureHeight) {
        try? writer.write(picture)
    }
    writer.close()
    return 0
}

@_cdecl("Y4MFuzzer_main")
public func y4MFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzY4M($0, $1) }
}
