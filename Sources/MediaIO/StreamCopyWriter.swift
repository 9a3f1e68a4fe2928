import CFFmpeg
import Foundation

/// Writes a file whose video is copied packet by packet from other files — segments of one video
/// painted separately — and whose audio comes from the original: joining without re-encoding.
/// Use from one thread at a time.
public final class StreamCopyWriter: @unchecked Sendable {
    /// Bytes written so far (the final size after `finish()`).
    public private(set) var bytesWritten: Int64 = 0

    private let path: String
    private let displayName: String
    private let output: OutputContainer
    private let videoStream: Int32
    private let videoTimeBase: AVRational
    private let audio: AudioOutput?
    private var lastDTS: Int64?
    private var finished = false

    /// `video`: a segment whose stream parameters (codec, size, time base) the output takes, as every
    /// segment must have them. `original`: the input the segments were painted from, for the display
    /// matrix and the audio (when `withAudio`).
    public init(path: String, containerFrom: String, video: MediaReader, original: MediaReader, withAudio: Bool) throws(MediaError) {
        _ = FFmpegRuntime.configured
        self.path = path
        displayName = (containerFrom as NSString).lastPathComponent
        let display = displayName
        let ext = (containerFrom as NSString).pathExtension.lowercased()
        guard !ext.isEmpty, let format = av_guess_format(nil, containerFrom, nil) else {
            throw MediaError(.invalidArgument, "\(display): unknown output format \(ext.isEmpty ? "(no file extension)" : "\".\(ext)\"")")
        }
        let source = video.videoStream
        guard avformat_query_codec(format, source.pointee.codecpar.pointee.codec_id, FF_COMPLIANCE_NORMAL) == 1 else {
            throw MediaError(.invalidArgument, "\(display): a .\(ext) file cannot hold \(codecName(source.pointee.codecpar.pointee.codec_id)) video")
        }
        do {
            output = try OutputContainer(format: format, path: path)
            let st = try output.addStream()
            try ffCheck(avcodec_parameters_copy(st.pointee.codecpar, source.pointee.codecpar), "copying the video stream")
            st.pointee.codecpar.pointee.codec_tag = 0
            st.pointee.time_base = source.pointee.time_base
            st.pointee.avg_frame_rate = original.videoStream.pointee.avg_frame_rate
            st.pointee.sample_aspect_ratio = source.pointee.codecpar.pointee.sample_aspect_ratio
            var size = 0
            if let matrix = av_stream_get_side_data(original.videoStream, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0,
               let side = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, size) {
                side.update(from: matrix, count: size)
            }
            videoStream = st.pointee.index
            videoTimeBase = source.pointee.time_base
        } catch {
            throw MediaError(.internalFailure, "\(display): \(error)")
        }
        audio = withAudio ? try AudioOutput(from: original, format: format, ext: ext, output: output, display: display) : nil
        do {
            try output.open(path: path)
            try output.writeHeader(options: ["mp4", "mov", "m4v"].contains(ext) ? ["movflags": "+faststart"] : [:])
        } catch {
            throw MediaError.writing(display, error, fallback: .outputUnwritable)
        }
    }

    /// The output's video time base, in which `write(video:movedLaterBy:)` takes its shift.
    public var timeBase: Rational { Rational(videoTimeBase) }

    /// Copies one video packet (from a reader of the same stream parameters), `ticks` later.
    public func write(video packet: EncodedPacket, movedLaterBy ticks: Int64) throws(MediaError) {
        do throws(FFError) {
            let copy = try packet.packet.clone()
            let p = copy.pointer
            av_packet_rescale_ts(p, packet.timeBase, videoTimeBase)
            if p.pointee.pts != noPTS { p.pointee.pts += ticks }
            if p.pointee.dts != noPTS { p.pointee.dts += ticks }
            if let last = lastDTS, p.pointee.dts != noPTS, p.pointee.dts <= last {
                throw FFError(FFCode.invalidData, "joining (a segment's timestamps go back to where the one before it ended)")
            }
            if p.pointee.dts != noPTS { lastDTS = p.pointee.dts }
            try output.write(copy, stream: videoStream, from: videoTimeBase)
            bytesWritten = output.position
        } catch {
            throw MediaError.writing(displayName, error, fallback: .muxFailed)
        }
    }

    /// Copies or transcodes one packet of the original's audio (ignored without audio).
    public func write(audio packet: EncodedPacket) throws(MediaError) {
        guard let audio else { return }
        do throws(FFError) {
            try audio.write(packet)
            bytesWritten = output.position
        } catch {
            throw MediaError.writing(displayName, error, fallback: .muxFailed)
        }
    }

    public func finish() throws(MediaError) {
        do throws(FFError) {
            try audio?.finish()
            try output.writeTrailer()
            try output.closeFile()
        } catch {
            try? output.closeFile()
            throw MediaError.writing(displayName, error, fallback: .muxFailed)
        }
        finished = true
        if let size = fileSize(atPath: path) { bytesWritten = size }
    }

    /// Abandons the file without a trailer; the caller deletes it.
    public func close() {
        if !finished { try? output.closeFile() }
    }
}
