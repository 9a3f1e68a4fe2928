import CFFmpeg
import Foundation

/// The size of the file at `path` in bytes; nil when there is none (or it cannot be read).
public func fileSize(atPath path: String) -> Int64? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
}

/// Owns an output AVFormatContext and, once opened, its file. Confined to the writer's thread.
final class OutputContainer {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    let format: UnsafePointer<AVOutputFormat>
    private(set) var fileOpen = false

    init(format: UnsafePointer<AVOutputFormat>, path: String) throws(FFError) {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        try ffCheck(avformat_alloc_output_context2(&ctx, format, nil, path), "setting up the output")
        guard let made = ctx else { throw FFError(FFCode.noMemory, "setting up the output") }
        pointer = made
        self.format = format
    }

    var needsGlobalHeader: Bool { format.pointee.flags & AVFMT_GLOBALHEADER != 0 }
    var needsFile: Bool { format.pointee.flags & AVFMT_NOFILE == 0 }

    func addStream() throws(FFError) -> UnsafeMutablePointer<AVStream> {
        guard let st = avformat_new_stream(pointer, nil) else {
            throw FFError(FFCode.noMemory, "adding a stream")
        }
        return st
    }

    func stream(_ index: Int32) -> UnsafeMutablePointer<AVStream> { pointer.pointee.streams[Int(index)]! }

    func open(path: String) throws(FFError) {
        guard needsFile else { return }
        try ffCheck(avio_open(&pointer.pointee.pb, path, AVIO_FLAG_WRITE), "creating the file")
        fileOpen = true
    }

    func writeHeader(options: [String: String]) throws(FFError) {
        var dict: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        defer { av_dict_free(&dict) }
        try ffCheck(avformat_write_header(pointer, &dict), "writing the file header")
    }

    /// Muxes `packet` (timestamps in `timeBase`) into stream `index`; the packet is left blank.
    func write(_ packet: PacketRef, stream index: Int32, from timeBase: AVRational) throws(FFError) {
        packet.pointer.pointee.stream_index = index
        av_packet_rescale_ts(packet.pointer, timeBase, stream(index).pointee.time_base)
        packet.pointer.pointee.pos = -1
        try ffCheck(av_interleaved_write_frame(pointer, packet.pointer), "writing")
    }

    func writeTrailer() throws(FFError) {
        try ffCheck(av_write_trailer(pointer), "finishing the file")
    }

    /// Closes the file (flushing buffered bytes). Safe to call twice.
    func closeFile() throws(FFError) {
        guard fileOpen else { return }
        fileOpen = false
        try ffCheck(avio_closep(&pointer.pointee.pb), "closing the file")
    }

    /// Bytes written so far (the file position; before a faststart rewrite, close to the file size).
    var position: Int64 {
        guard fileOpen, let pb = pointer.pointee.pb else { return 0 }
        return avio_tell(pb)
    }

    deinit {
        if fileOpen { avio_closep(&pointer.pointee.pb) }
        avformat_free_context(pointer)
    }
}
