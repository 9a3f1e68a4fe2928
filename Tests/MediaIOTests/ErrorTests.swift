// Every way opening or writing can fail comes back as the right MediaError kind with a one-line message.
import Foundation
import XCTest
@testable import MediaIO

final class ReaderErrorTests: TemporaryFolderTestCase {
    private func openError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> MediaError? {
        do {
            _ = try MediaReader(path: path)
            XCTFail("\(path) opened", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
            XCTAssertTrue(error.message.hasPrefix(path), "names the file: \(error.message)", file: file, line: line)
            XCTAssertEqual(error.description, error.message, file: file, line: line)
            return error
        }
    }

    func testMissingFile() {
        let error = openError(folder.file("nope.mp4"))
        XCTAssertEqual(error?.kind, .inputNotFound)
        XCTAssertTrue(error?.message.contains("not found") ?? false, error?.message ?? "")
    }

    func testZeroByteFile() throws {
        let path = folder.file("empty.mp4")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertEqual(openError(path)?.kind, .notMedia)
    }

    func testTextFiles() throws {
        let text = Data("Shopping list\n- eggs\n- flour\n- paint\n".utf8)
        for name in ["notes.txt", "notes.mp4", "notes"] {
            let path = folder.file(name)
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: text))
            let error = openError(path)
            XCTAssertEqual(error?.kind, .notMedia, name)
            XCTAssertEqual(error?.message, "\(path): not a media file FFmpeg can read")
        }
    }

    /// Random bytes are refused with a clear error. FFmpeg's probe sometimes takes a run of random
    /// bytes for an audio stream (an MP3 frame sync is only 11 set bits), so "no video" is as right
    /// an answer as "not media"; a fixed seed per file keeps every run the same.
    func testGarbageFile() throws {
        for seed in 1...16 {
            var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
            let bytes = (0..<20_000).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            let path = folder.file("random-\(seed).mkv")
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let error = openError(path)
            XCTAssertNotNil(error, "random bytes (seed \(seed)) opened as a video")
            if let kind = error?.kind {
                XCTAssertTrue([.notMedia, .noVideoStream].contains(kind), "seed \(seed): \(kind)")
            }
        }
    }

    func testFolderIsNotAFile() {
        XCTAssertEqual(openError(folder.path)?.kind, .inputUnreadable)
    }

    func testAudioOnlyFile() throws {
        try Tools.require()
        for name in ["tone.m4a", "tone.wav", "tone.mkv"] {
            let path = folder.file(name)
            try Tools.ffmpeg(["-f", "lavfi", "-i", "sine=d=0.5"], output: path)
            let error = openError(path)
            XCTAssertEqual(error?.kind, .noVideoStream, name)
            XCTAssertEqual(error?.message, "\(path): has no video stream")
        }
    }

    func testUnknownVideoCodec() throws {
        try Tools.require()
        let good = folder.file("good.avi")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:d=0.2", "-c:v", "mjpeg"], output: good)
        // Give the stream a four-character code no decoder knows.
        var data = try Data(contentsOf: URL(fileURLWithPath: good))
        let from = Data("MJPG".utf8), to = Data("ZZZZ".utf8)
        while let range = data.range(of: from) { data.replaceSubrange(range, with: to) }
        let path = folder.file("weird.avi")
        try data.write(to: URL(fileURLWithPath: path))
        let error = openError(path)
        XCTAssertEqual(error?.kind, .unsupportedCodec)
        XCTAssertEqual(error?.message, "\(path): no decoder for the unknown \"ZZZZ\" video codec")
    }

    /// Text named like a picture: FFmpeg takes it for an MJPEG stream with no size. The error
    /// names this file (it used to surface later, as a 0×0 output the encoder refused).
    func testJunkNamedLikeAPictureNamesTheInput() throws {
        let path = folder.file("junk.jpg")
        try Data("not a picture\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = openError(path)
        XCTAssertEqual(error?.kind, .inputUnreadable)
        XCTAssertEqual(error?.message, "\(path): its mjpeg video has no picture size (damaged, or not what its name says)")
    }

    func testUnreadableFile() throws {
        guard getuid() != 0 else { throw XCTSkip("running as root: file permissions do not apply") }
        try Tools.require()
        let path = folder.file("locked.mp4")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc=d=0.2"], output: path)
        XCTAssertEqual(chmod(path, 0), 0)
        XCTAssertEqual(openError(path)?.kind, .inputUnreadable)
    }
}

final class WriterErrorTests: TemporaryFolderTestCase {
    private let source = VideoStreamInfo(width: 64, height: 48, pixelFormatName: "yuv420p", codecName: "rawvideo",
                                         timeBase: Rational(num: 1, den: 25), frameRate: Rational(num: 25, den: 1),
                                         frameCount: nil, duration: nil)

    private func writerError(_ path: String, _ container: String? = nil, settings: EncoderSettings = EncoderSettings(),
                             file: StaticString = #filePath, line: UInt = #line) -> MediaError? {
        do {
            let writer = try MediaWriter(path: path, containerFrom: container ?? path, source: source, audioFrom: nil, settings: settings)
            writer.close()
            XCTFail("\(path) opened for writing", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
            return error
        }
    }

    func testMissingOutputFolder() {
        let path = folder.file("no/such/dir/out.mp4")
        let error = writerError(path)
        XCTAssertEqual(error?.kind, .outputUnwritable)
        XCTAssertEqual(error?.message, "\(path): output folder does not exist")
    }

    func testMessageNamesTheFinalFileNotTheTemporaryOne() {
        let dir = folder.file("missing")
        let error = writerError(dir + "/.out.mp4.part", "out.mp4")
        XCTAssertEqual(error?.message, "\(dir)/out.mp4: output folder does not exist")
    }

    func testOutputFolderIsAFile() throws {
        let blocker = folder.file("blocker")
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        XCTAssertEqual(writerError(blocker + "/out.mp4")?.kind, .outputUnwritable)
    }

    func testUnwritableFolder() throws {
        guard getuid() != 0 else { throw XCTSkip("running as root: folder permissions do not apply") }
        let locked = folder.file("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(locked, 0o555), 0)
        defer { chmod(locked, 0o755) }
        XCTAssertEqual(writerError(locked + "/out.mp4")?.kind, .outputUnwritable)
    }

    func testUnknownOrVideolessContainer() {
        XCTAssertEqual(writerError(folder.file("out.xyz"))?.kind, .invalidArgument)
        XCTAssertEqual(writerError(folder.file("out"))?.kind, .invalidArgument)
        XCTAssertEqual(writerError(folder.file("out.mp3"))?.kind, .invalidArgument)
    }

    func testBadSettings() {
        var settings = EncoderSettings()
        settings.preset = "warp-speed"
        XCTAssertEqual(writerError(folder.file("out.mp4"), settings: settings)?.kind, .invalidArgument)
        settings = EncoderSettings()
        settings.crf = 99
        XCTAssertEqual(writerError(folder.file("out.mp4"), settings: settings)?.kind, .invalidArgument)
    }

    func testDiskFull() throws {
        // /dev/full takes the file open but fails every write with ENOSPC.
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else { throw XCTSkip("no writable /dev/full") }
        do {
            let writer = try MediaWriter(path: "/dev/full", containerFrom: "out.mkv", source: source, audioFrom: nil,
                                         settings: EncoderSettings())
            for i in 0..<50 {
                try writer.write(try solidFrame(width: 64, height: 48, rgb: (10, 200, 30), pts: Int64(i)))
            }
            try writer.finish()
            XCTFail("writing to /dev/full succeeded")
        } catch {
            XCTAssertEqual(error.kind, .diskFull, error.message)
            XCTAssertTrue(error.message.contains("disk full"), error.message)
            XCTAssertTrue(error.message.hasPrefix("/dev/out.mkv"), error.message)
        }
    }

    func testWritingAfterFinishOrClose() throws {
        let path = folder.file("out.mkv")
        let writer = try MediaWriter(path: path, containerFrom: path, source: source, audioFrom: nil, settings: EncoderSettings())
        let picture = try solidFrame(width: 64, height: 48, rgb: (0, 0, 255), pts: 0)
        try writer.write(picture)
        try writer.finish()
        XCTAssertGreaterThan(writer.bytesWritten, 0)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        XCTAssertEqual(writer.bytesWritten, size)
        XCTAssertThrowsError(try writer.finish())
        do {
            try writer.write(try solidFrame(width: 64, height: 48, rgb: (0, 0, 255), pts: 1))
            XCTFail("wrote after finish")
        } catch {
            XCTAssertEqual(error.kind, .invalidArgument)
        }

        let abandoned = folder.file("abandoned.mp4")
        let second = try MediaWriter(path: abandoned, containerFrom: abandoned, source: source, audioFrom: nil, settings: EncoderSettings())
        try second.write(try solidFrame(width: 64, height: 48, rgb: (0, 0, 255), pts: 0))
        second.close()
        second.close()
        XCTAssertThrowsError(try second.finish())
        XCTAssertTrue(FileManager.default.fileExists(atPath: abandoned), "close() leaves the file for the caller to delete")
    }

    func testMediaErrorEquality() {
        XCTAssertEqual(MediaError(.diskFull, "a"), MediaError(.diskFull, "a"))
        XCTAssertNotEqual(MediaError(.diskFull, "a"), MediaError(.muxFailed, "a"))
    }
}

/// A picture of one colour, as the VideoFrame initialiser takes it (packed RGB24; it copies the bytes).
func solidFrame(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8), pts: Int64) throws(MediaError) -> VideoFrame {
    let pixels = [UInt8]((0..<(width * height)).flatMap { _ in [rgb.0, rgb.1, rgb.2] })
    return try pixels.withUnsafeBytes { bytes in
        Result { () throws(MediaError) in try VideoFrame(width: width, height: height, pixelFormatName: "rgb24", pts: pts, bytes: bytes) }
    }.get()
}
