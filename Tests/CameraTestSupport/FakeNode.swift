import Camera
import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// One open() of a node.
final class FakeOpenFile {
    let descriptor: Int32
    let node: FakeNode
    let isNonBlocking: Bool

    init(descriptor: Int32, node: FakeNode, isNonBlocking: Bool) {
        self.descriptor = descriptor
        self.node = node
        self.isNonBlocking = isNonBlocking
    }
}

/// A device node. Subclasses answer the calls their kind of device supports;
/// the defaults are what the kernel answers for calls a driver lacks.
class FakeNode {
    let path: String
    let card: String
    var isUnplugged = false
    var driverName: String { "fake" }

    init(path: String, card: String) {
        self.path = path
        self.card = card
    }

    func deviceCaps(for file: FakeOpenFile) -> UInt32 { 0 }
    func ioctl(_ file: FakeOpenFile, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(SystemErrno) {
        throw .notATTY
    }
    func buffer(atOffset offset: Int64) -> FakeBuffer? { nil }
    func poll(_ file: FakeOpenFile, events: Int16, mayWait: Bool) -> Int16 { Int16(POLLERR) }
    func read(_ file: FakeOpenFile, into buffer: UnsafeMutableRawBufferPointer) throws(SystemErrno) -> Int { throw .invalidArgument }
    func write(_ file: FakeOpenFile, from buffer: UnsafeRawBufferPointer) throws(SystemErrno) -> Int { throw .invalidArgument }
    func closed(_ file: FakeOpenFile) {}
}

/// Writes `text` into a C char array imported as a tuple, NUL-terminated.
func setCString<Tuple>(_ tuple: inout Tuple, _ text: String) {
    withUnsafeMutableBytes(of: &tuple) { bytes in
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        let utf8 = Array(text.utf8.prefix(bytes.count - 1))
        bytes.copyBytes(from: utf8)
    }
}
