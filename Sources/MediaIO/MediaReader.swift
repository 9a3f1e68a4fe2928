import CFFmpeg
import Foundation

/// Owns an opened AVFormatContext for reading.
final class InputFile {
    let pointer: UnsafeMutablePointer<AVFormatContext>

    init(path: String) throws(FFError) {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        try ffCheck(avformat_open_input(&ctx, path, nil, nil), "opening")
        guard let opened = ctx else { throw FFError(FFCode.invalidData, "opening") }
        pointer = opened
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        pointer.pointee.streams[index]!
    }

    var formatName: String { String(cString: pointer.pointee.iformat.pointee.name) }

    func read(into packet: PacketRef) -> Int32 { av_read_frame(pointer, packet.pointer) }

    deinit {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&ctx)
    }
}

/// Reads a media file: decoded video frames and demuxed (still encoded) audio packets, in file order.
/// Use from one thread at a time. (It is `Sendable` so it can be handed to the thread that reads; its
/// FFmpeg objects are only ever touched by the calls made on it.)
public final class MediaReader: @unchecked Sendable {
    public let info: MediaInfo
    /// Frames emitted as copies of the last good frame because their packet failed to decode.
    public private(set) var concealedFrameCount = 0
    /// Frames the decoder delivered but flagged as damaged (it concealed the errors itself).
    public private(set) var damagedFrameCount = 0
    /// Set when the input ended early because of a read error rather than at its end.
    public private(set) var readError: MediaError?

    let path: String
    private let input: InputFile
    private let videoIndex: Int
    private let audioIndex: Int?
    private let decoder: CodecContext
    /// Codec parameters and time base of the audio stream (copied, for the writer).
    let audioParameters: CodecParameters?
    let audioTimeBase: AVRational
    /// The input's start time in each stream's time base; subtracted from every timestamp.
    private let videoOffset: Int64
    private let audioOffset: Int64
    private let defaultFrameDuration: Int64

    private let packet: PacketRef
    /// For formats whose clock may restart mid-file (AVFMT_TS_DISCONT: MPEG-TS, MPEG-PS).
    private var timeline: TimelineJoiner?
    /// An MP4/MOV on standard input: readable only when its index precedes the data.
    private let pipedMOV: Bool
    private var ready: [MediaItem] = []
    private var readyHead = 0
    private var inputEnded = false
    private var finished = false

    // Concealment bookkeeping (see "Decoding and concealment" below).
    private struct Pending {
        let key: Int64
        /// The key is the packet's pts (not a dts stand-in), so a missing picture can be told apart.
        let hasPTS: Bool
        var failed: Bool
        /// Pictures with a later key that came out of the decoder since.
        var passed = 0
    }
    private struct Queued {
        var pts: Int64
        /// nil for a stand-in: it shows the picture before it (or after it, at the very start).
        let frame: FrameRef?
        let duration: Int64
    }
    /// Video packets sent to the decoder whose picture has not come out yet, by key.
    private var pending: [Pending] = []
    /// Failed packets without any timestamp.
    private var failedWithoutKey = 0
    /// Whether any video packet had a pts (else timestamps come from `slots`).
    private var sawPacketPTS = false
    /// dts of packets whose picture has not come out yet, while no packet has a pts.
    private var slots: [Int64] = []
    private let slotsAlways: Bool
    /// Pictures (and stand-ins) waiting to be emitted, sorted by pts: a short reorder window, used only
    /// while an earlier packet's picture is still outstanding.
    private var queued: [Queued] = []
    private var lastEmitted: FrameRef?
    private var lastPTS: Int64?
    private var decodedFrames = 0
    /// Packets noted in `pending`, and stand-ins made for them.
    private var trackedPackets = 0
    private var lostStandIns = 0
    /// Decoded pictures whose key matched a packet's: if most do not, keys say nothing about losses.
    private var matchedFrames = 0
    private var keysReliable: Bool { decodedFrames < MediaReader.window || matchedFrames * 2 >= decodedFrames }
    private var lastDecodeError: FFError?
    /// How many later pictures must come out before a packet counts as lost (and the window's depth).
    private static let window = 8

    /// `path`: a file, a URL FFmpeg opens, or "-" for standard input (read as it comes, no seeking:
    /// an MP4 whose index is at the end cannot be read that way).
    public init(path: String) throws(MediaError) {
        _ = FFmpegRuntime.configured
        let standardInput = path == "-"
        let shownPath = standardInput ? "standard input" : path
        self.path = shownPath
        if standardInput {
            if isatty(STDIN_FILENO) != 0 {
                throw MediaError(.inputUnreadable, "standard input is a terminal; send a video into it (cat clip.mkv | …)")
            }
        } else if !path.contains("://") {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw MediaError(.inputNotFound, "\(shownPath): file not found")
            }
            if isDirectory.boolValue {
                throw MediaError(.inputUnreadable, "\(shownPath): is a folder, not a file")
            }
        }

        let input: InputFile
        do {
            input = try InputFile(path: standardInput ? "pipe:0" : path)
        } catch {
            throw MediaError.reading(shownPath, error, fallback: .notMedia)
        }
        // The "tty" demuxer takes any .txt/.nfo file as ANSI art; that is not a video.
        if input.formatName == "tty" {
            throw MediaError(.notMedia, "\(shownPath): not a media file FFmpeg can read")
        }
        do {
            try ffCheck(avformat_find_stream_info(input.pointer, nil), "reading stream information")
        } catch {
            throw MediaError.reading(shownPath, error, fallback: .notMedia)
        }
        if input.streamCount == 0 {
            throw MediaError(.notMedia, "\(shownPath): not a media file FFmpeg can read")
        }

        // Video: the first real video stream with a decoder (cover art does not count).
        var videoCandidates: [Int] = []
        for i in 0..<input.streamCount {
            let st = input.stream(i)
            if st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO,
               st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 {
                videoCandidates.append(i)
            }
        }
        guard !videoCandidates.isEmpty else {
            throw MediaError(.noVideoStream, "\(shownPath): has no video stream")
        }
        let best = Int(av_find_best_stream(input.pointer, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0))
        if best >= 0, let at = videoCandidates.firstIndex(of: best) {
            videoCandidates.swapAt(0, at)
        }
        guard let videoIndex = videoCandidates.first(where: {
            avcodec_find_decoder(input.stream($0).pointee.codecpar.pointee.codec_id) != nil
        }) else {
            let name = describeCodec(input.stream(videoCandidates[0]).pointee.codecpar)
            throw MediaError(.unsupportedCodec, "\(shownPath): no decoder for the \(name) video codec")
        }
        let vst = input.stream(videoIndex)
        let vtb = vst.pointee.time_base
        // FFmpeg finds no picture size in a stream it cannot parse (a damaged or mislabelled
        // file); said here, the error names this file rather than the output a 0×0 size reaches.
        guard vst.pointee.codecpar.pointee.width > 0, vst.pointee.codecpar.pointee.height > 0 else {
            throw MediaError(.inputUnreadable, "\(shownPath): its \(describeCodec(vst.pointee.codecpar)) video has no picture size "
                             + "(damaged, or not what its name says)")
        }

        let decoder: CodecContext
        do {
            decoder = try CodecContext.decoder(for: vst.pointee.codecpar, timeBase: vtb)
            // Slice threads only: with frame threads a decode error surfaces packets later, and we
            // must know which packet failed to stand a copy of the last picture in for it.
            decoder.pointer.pointee.thread_count = 0
            decoder.pointer.pointee.thread_type = FF_THREAD_SLICE
            try decoder.open()
        } catch {
            let name = describeCodec(vst.pointee.codecpar)
            if error.code == FFCode.decoderNotFound {
                throw MediaError(.unsupportedCodec, "\(shownPath): no decoder for the \(name) video codec")
            }
            throw MediaError(.unsupportedCodec, "\(shownPath): cannot decode its \(name) video (\(error.text))")
        }

        // Audio: the best audio stream (related to the chosen video), if it has a usable format.
        var audioIndex: Int? = nil
        let bestAudio = Int(av_find_best_stream(input.pointer, AVMEDIA_TYPE_AUDIO, -1, Int32(videoIndex), nil, 0))
        if bestAudio >= 0 {
            let par = input.stream(bestAudio).pointee.codecpar.pointee
            if par.sample_rate > 0 && par.ch_layout.nb_channels > 0 { audioIndex = bestAudio }
        }
        var audioParameters: CodecParameters? = nil
        var atb = AVRational(num: 1, den: 1)
        if let a = audioIndex {
            atb = input.stream(a).pointee.time_base
            do {
                audioParameters = try CodecParameters(copying: input.stream(a).pointee.codecpar)
            } catch {
                throw MediaError(.internalFailure, "\(shownPath): \(error)")
            }
        }
        // Read nothing we will not use.
        for i in 0..<input.streamCount where i != videoIndex && i != audioIndex {
            input.stream(i).pointee.discard = AVDISCARD_ALL
        }

        // Timestamps start at the file's start time, as ffmpeg does (negative starts, e.g. audio
        // priming in MP4, are kept: the muxer turns them into an edit list again).
        let start = input.pointer.pointee.start_time
        let startUS = (start == noPTS || start < 0) ? 0 : start
        let timeBaseQ = stylize_av_time_base_q()
        videoOffset = av_rescale_q(startUS, timeBaseQ, vtb)
        audioOffset = av_rescale_q(startUS, timeBaseQ, atb)

        let info = MediaReader.describe(input: input, videoIndex: videoIndex, audioIndex: audioIndex)
        let rate = info.video.frameRate.map { $0.av } ?? AVRational(num: 25, den: 1)
        defaultFrameDuration = max(1, av_rescale_q(1, av_inv_q(rate), vtb))

        do {
            packet = try PacketRef()
        } catch {
            throw MediaError(.internalFailure, "\(shownPath): \(error)")
        }
        slotsAlways = input.formatName == "avi"
        pipedMOV = standardInput && input.formatName.contains("mov")
        self.input = input
        if input.pointer.pointee.iformat.pointee.flags & AVFMT_TS_DISCONT != 0 { timeline = TimelineJoiner() }
        self.videoIndex = videoIndex
        self.audioIndex = audioIndex
        self.decoder = decoder
        self.audioParameters = audioParameters
        self.audioTimeBase = atb
        self.info = info
    }

    private static func describe(input: InputFile, videoIndex: Int, audioIndex: Int?) -> MediaInfo {
        let st = input.stream(videoIndex)
        let par = st.pointee.codecpar!
        let tb = st.pointee.time_base
        let guessed = av_guess_frame_rate(input.pointer, st, nil)
        let frameRate: Rational? = (guessed.num > 0 && guessed.den > 0) ? Rational(guessed) : nil

        var duration: Double? = nil
        if st.pointee.duration != noPTS && st.pointee.duration > 0 {
            duration = Double(st.pointee.duration) * av_q2d(tb)
        } else if input.pointer.pointee.duration != noPTS && input.pointer.pointee.duration > 0 {
            duration = Double(input.pointer.pointee.duration) / Double(AV_TIME_BASE)
        }
        var frameCount: Int? = st.pointee.nb_frames > 0 ? Int(st.pointee.nb_frames) : nil
        if frameCount == nil, let d = duration, let r = frameRate {
            frameCount = Int((d * r.doubleValue).rounded())
        }

        var matrix: [Int32]? = nil
        var rotation = 0.0
        var size = 0
        if let raw = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * MemoryLayout<Int32>.size {
            let values = raw.withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
            matrix = values
            let degrees = values.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress) }
            if degrees.isFinite { rotation = degrees == 0 ? 0 : degrees }
        }

        let sar = par.pointee.sample_aspect_ratio.num > 0 ? Rational(par.pointee.sample_aspect_ratio)
            : (st.pointee.sample_aspect_ratio.num > 0 ? Rational(st.pointee.sample_aspect_ratio) : Rational(num: 1, den: 1))
        let video = VideoStreamInfo(
            width: Int(par.pointee.width), height: Int(par.pointee.height),
            pixelFormatName: pixelFormatName(par.pointee.format),
            codecName: codecName(par.pointee.codec_id),
            timeBase: Rational(tb), frameRate: frameRate, frameCount: frameCount, duration: duration,
            rotation: rotation, color: ColorDescription(par), sampleAspectRatio: sar, displayMatrix: matrix)

        var audio: AudioStreamInfo? = nil
        if let a = audioIndex {
            let ast = input.stream(a)
            let apar = ast.pointee.codecpar.pointee
            var adur: Double? = nil
            if ast.pointee.duration != noPTS && ast.pointee.duration > 0 {
                adur = Double(ast.pointee.duration) * av_q2d(ast.pointee.time_base)
            }
            audio = AudioStreamInfo(codecName: codecName(apar.codec_id), sampleRate: Int(apar.sample_rate),
                                    channels: Int(apar.ch_layout.nb_channels), duration: adur)
        }
        let total = input.pointer.pointee.duration
        return MediaInfo(container: input.formatName, video: video, audio: audio,
                         duration: (total != noPTS && total > 0) ? Double(total) / Double(AV_TIME_BASE) : duration)
    }

    /// The next decoded picture, skipping (and dropping) audio packets; nil at the end.
    /// For readers that want pictures only (stills, measuring).
    public func nextVideoFrame() throws(MediaError) -> VideoFrame? {
        while let item = try next() { if case .video(let frame) = item { return frame } }
        return nil
    }

    /// Next item in demux order; nil at end of input (decoder flushed). Decode errors of a single packet
    /// do not throw: the reader emits a copy of the last good frame with that packet's timestamp and
    /// `isConcealed` set, and counts it in `concealedFrameCount`.
    public func next() throws(MediaError) -> MediaItem? {
        while true {
            if readyHead < ready.count {
                let item = ready[readyHead]
                readyHead += 1
                if readyHead == ready.count {
                    ready.removeAll(keepingCapacity: true)
                    readyHead = 0
                }
                return item
            }
            if finished { return nil }
            try step()
        }
    }

    public enum StreamKind: Sendable { case video, audio }

    /// The next packet of the video or the audio stream as it is in the file, not decoded (the other
    /// stream skipped), its timestamps relative to the input's start as the decoded frames' are; nil
    /// at the end (or, for audio, when there is none). For planning by keyframes and for stream copy;
    /// not to be mixed with `next()` on one reader.
    public func nextPacket(_ kind: StreamKind) throws(MediaError) -> EncodedPacket? {
        let wanted: Int
        switch kind {
        case .video: wanted = videoIndex
        case .audio:
            guard let audioIndex else { return nil }
            wanted = audioIndex
        }
        let tb = input.stream(wanted).pointee.time_base
        let offset = kind == .video ? videoOffset : audioOffset
        while true {
            let ret = input.read(into: packet)
            if ret == FFCode.again { continue }
            if ret == FFCode.eof { return nil }
            if ret < 0 { throw MediaError.reading(path, FFError(ret, "reading"), fallback: .inputUnreadable) }
            let index = Int(packet.pointer.pointee.stream_index)
            if timeline != nil && (index == videoIndex || index == audioIndex) {
                timeline!.join(packet.pointer, timeBase: input.stream(index).pointee.time_base)
            }
            guard index == wanted else { packet.unref(); continue }
            let p = packet.pointer
            if p.pointee.pts != noPTS { p.pointee.pts -= offset }
            if p.pointee.dts != noPTS { p.pointee.dts -= offset }
            p.pointee.pos = -1
            do {
                return EncodedPacket(packet: try PacketRef(movingFrom: packet), timeBase: tb)
            } catch {
                throw MediaError(.internalFailure, "\(path): \(error)")
            }
        }
    }

    /// The video stream's codec parameters and time base, for a stream copy.
    var videoStream: UnsafeMutablePointer<AVStream> { input.stream(videoIndex) }

    /// What must be equal for two files' video packets to follow each other in one stream: codec,
    /// size, pixel format, time base and the codec's global header (H.264's parameter sets).
    public var videoSignature: [Int64] {
        let st = videoStream.pointee, par = st.codecpar.pointee
        var values: [Int64] = [Int64(par.codec_id.rawValue), Int64(par.width), Int64(par.height), Int64(par.format),
                               Int64(st.time_base.num), Int64(st.time_base.den), Int64(par.extradata_size)]
        if let data = par.extradata, par.extradata_size > 0 {
            values += UnsafeBufferPointer(start: data, count: Int(par.extradata_size)).map(Int64.init)
        }
        return values
    }

    /// The signature's readable part: "h264 1280×720 yuv420p, time base 1/15360".
    public var videoSignatureText: String {
        let st = videoStream.pointee, par = st.codecpar.pointee
        return "\(codecName(par.codec_id)) \(par.width)×\(par.height) \(pixelFormatName(par.format)), time base \(st.time_base.num)/\(st.time_base.den)"
            + (par.extradata_size > 0 ? ", \(par.extradata_size)-byte header" : "")
    }

    /// Moves to the last keyframe at or before `seconds` (from the input's start, as the timestamps
    /// are): the next pictures are that keyframe's and those after it, so the caller skips the ones
    /// before `seconds`. Audio packets follow from the same file position. Standard input cannot seek.
    public func seek(toSeconds seconds: Double) throws(MediaError) {
        guard path != "standard input" else {
            throw MediaError(.inputUnreadable, "standard input: a time range needs a file to seek in (give the file's name)")
        }
        let tb = input.stream(videoIndex).pointee.time_base
        let target = Int64((max(0, seconds) * Double(tb.den) / Double(tb.num)).rounded(.down)) + videoOffset
        let ret = avformat_seek_file(input.pointer, Int32(videoIndex), Int64.min, target, target, 0)
        if ret < 0 {
            // Nothing at or before it (a first keyframe with a late timestamp): start from the beginning.
            let restart = avformat_seek_file(input.pointer, Int32(videoIndex), Int64.min, Int64.min, Int64.max, 0)
            if restart < 0 { throw MediaError.reading(path, FFError(ret, "seeking"), fallback: .inputUnreadable) }
        }
        decoder.flush()
        ready.removeAll(); readyHead = 0
        inputEnded = false; finished = false
        pending.removeAll(); failedWithoutKey = 0; slots.removeAll(); queued.removeAll()
        lastEmitted = nil; lastPTS = nil
        if timeline != nil { timeline = TimelineJoiner() }
    }

    // MARK: Demuxing

    /// Reads one packet and turns it into zero or more ready items; at the end, flushes the decoder.
    private func step() throws(MediaError) {
        if inputEnded {
            try flushDecoder()
            finished = true
            return
        }
        let ret = input.read(into: packet)
        if ret == FFCode.again { return }
        if ret < 0 {
            if ret != FFCode.eof {
                readError = pipedMOV
                    ? MediaError(.inputUnreadable, "\(path): an MP4 or MOV can only be read from a pipe when its index comes first "
                                 + "(give the file's name instead, or remux it with -movflags +faststart)")
                    : MediaError.reading(path, FFError(ret, "reading"), fallback: .inputUnreadable)
            }
            inputEnded = true
            return
        }
        defer { packet.unref() }
        let index = Int(packet.pointer.pointee.stream_index)
        if timeline != nil && (index == videoIndex || index == audioIndex) {
            timeline!.join(packet.pointer, timeBase: input.stream(index).pointee.time_base)
        }
        if index == videoIndex {
            try decodeVideo(packet)
        } else if index == audioIndex {
            let p = packet.pointer
            if p.pointee.pts != noPTS { p.pointee.pts -= audioOffset }
            if p.pointee.dts != noPTS { p.pointee.dts -= audioOffset }
            p.pointee.pos = -1
            do {
                ready.append(.audio(EncodedPacket(packet: try PacketRef(movingFrom: packet), timeBase: audioTimeBase)))
            } catch {
                throw MediaError(.internalFailure, "\(path): \(error)")
            }
        }
    }

    // MARK: Decoding and concealment
    //
    // Every video packet sent to the decoder is noted by key (its pts). A picture coming out of the
    // decoder clears its own key. A key that `window` later pictures have passed without its picture
    // showing up was lost: the decoder rejected the packet, or dropped it silently (damaged data). Such a
    // packet gets a stand-in: a copy of the picture before it, with the packet's timestamp. While an
    // earlier key is outstanding, pictures wait in a reorder queue (at most `window` deep), so stand-ins
    // land in presentation order and slightly out-of-order decoder output is put right. At the end, keys
    // still outstanding get stand-ins too, but never more than the packets that gave no picture. Empty
    // packets (AVI's "repeat the last frame") get a stand-in straight away.
    //
    // Files without any pts (AVI, raw streams) work by slots instead: every packet's dts is a display slot,
    // the pictures take the slots in order, a rejected packet's stand-in takes its own slot, and slots
    // left at the end get stand-ins. (There a picture's dts is the dts of whichever packet made the
    // decoder release it, which says nothing about which packet it came from.)

    /// AVI stores one packet per frame slot, with dts = slot and pts only now and then: always slots.
    private var slotMode: Bool { slotsAlways || !sawPacketPTS }

    private func decodeVideo(_ packet: PacketRef) throws(MediaError) {
        let p = packet.pointer.pointee
        if p.pts != noPTS && !sawPacketPTS {
            sawPacketPTS = true
            if !slotsAlways { slots.removeAll() }
        }
        let key = slotMode ? (p.dts != noPTS ? p.dts : p.pts) : (p.pts != noPTS ? p.pts : p.dts)
        let presented = p.flags & AV_PKT_FLAG_DISCARD == 0
        if p.size == 0 {
            if presented { standIn(key: key) }
            return
        }
        if key != noPTS && presented {
            if slotMode {
                slots.append(key)
            } else {
                pending.append(Pending(key: key, hasPTS: p.pts != noPTS, failed: false))
                if pending.count > 32 * MediaReader.window { pending.removeFirst() }
                trackedPackets += 1
            }
        }
        var status = decoder.send(packet)
        var tries = 0
        while case .again = status, tries < 64 {
            try drainDecoder(failedKey: key)
            status = decoder.send(packet)
            tries += 1
        }
        if case .failed(let error) = status {
            markFailed(key: key, error)
        }
        try drainDecoder(failedKey: key)
    }

    private func markFailed(key: Int64, _ error: FFError) {
        lastDecodeError = error
        if key == noPTS {
            failedWithoutKey += 1
        } else if slotMode {
            if let at = slots.lastIndex(of: key) {
                slots.remove(at: at)
                standIn(key: key)
            }
        } else if let at = pending.lastIndex(where: { $0.key == key }) {
            pending[at].failed = true
        } else {
            pending.append(Pending(key: key, hasPTS: false, failed: true))
        }
    }

    /// A stand-in for a packet that gave no picture, at `key` (or after everything so far when it has none).
    private func standIn(key: Int64) {
        if key == noPTS {
            failedWithoutKey += 1
        } else {
            enqueue(Queued(pts: key, frame: nil, duration: 0))
        }
    }

    private func drainDecoder(failedKey: Int64) throws(MediaError) {
        while true {
            let frame: FrameRef
            do { frame = try FrameRef() } catch { throw MediaError(.internalFailure, "\(path): \(error)") }
            switch decoder.receive(into: frame) {
            case .ok:
                deliver(frame)
            case .again, .endOfStream:
                return
            case .failed(let error):
                if failedKey != noPTS { markFailed(key: failedKey, error) } else { lastDecodeError = error }
                return
            }
        }
    }

    private func flushDecoder() throws(MediaError) {
        if case .failed(let error) = decoder.send(nil as PacketRef?) {
            lastDecodeError = error
        }
        try drainDecoder(failedKey: noPTS)
        let lost = pending.filter { $0.failed || ($0.hasPTS && keysReliable) }
        if decodedFrames == 0 {
            if !lost.isEmpty || failedWithoutKey > 0 || !slots.isEmpty || concealedFrameCount > 0 || !queued.isEmpty {
                let reason = lastDecodeError.map { " (\($0.text))" } ?? ""
                throw MediaError(.inputUnreadable, "\(path): no video frame could be decoded\(reason)")
            }
            return
        }
        // Never more stand-ins than packets that gave no picture: rejected packets first, then by time.
        let missing = max(0, trackedPackets - decodedFrames - lostStandIns)
        let chosen = (lost.filter(\.failed) + lost.filter { !$0.failed }).prefix(missing)
        for entry in chosen.sorted(by: { $0.key < $1.key }) { enqueue(Queued(pts: entry.key, frame: nil, duration: 0)) }
        for slot in slots { enqueue(Queued(pts: slot, frame: nil, duration: 0)) }
        slots.removeAll()
        for _ in 0..<failedWithoutKey { enqueue(Queued(pts: noPTS, frame: nil, duration: 0)) }
        pending.removeAll()
        failedWithoutKey = 0
        while !queued.isEmpty { emitFirst() }
    }

    private func deliver(_ frame: FrameRef) {
        let f = frame.pointer.pointee
        let key = f.pts != noPTS ? f.pts : f.pkt_dts
        decodedFrames += 1
        if key != noPTS {
            if let at = pending.firstIndex(where: { $0.key == key }) {
                pending.remove(at: at)
                matchedFrames += 1
            }
            var index = 0
            while index < pending.count {
                if pending[index].key < key {
                    pending[index].passed += 1
                    let entry = pending[index]
                    if entry.passed >= MediaReader.window {
                        if entry.failed || (entry.hasPTS && keysReliable) {
                            enqueue(Queued(pts: entry.key, frame: nil, duration: 0))
                            lostStandIns += 1
                        }
                        pending.remove(at: index)
                        continue
                    }
                }
                index += 1
            }
        }
        if f.decode_error_flags != 0 || f.flags & AV_FRAME_FLAG_CORRUPT != 0 { damagedFrameCount += 1 }
        var pts = f.best_effort_timestamp
        if slotMode && !slots.isEmpty { pts = slots.removeFirst() }
        enqueue(Queued(pts: pts, frame: frame, duration: f.pkt_duration))
        for _ in 0..<failedWithoutKey { enqueue(Queued(pts: noPTS, frame: nil, duration: 0)) }
        failedWithoutKey = 0
        emitReady()
    }

    /// Emits queued pictures that nothing can come before any more: no packet with an earlier key is still
    /// waiting for its picture (or the window is full).
    private func emitReady() {
        while let head = queued.first {
            let waiting = !slotMode && pending.contains { $0.key < head.pts }
            guard queued.count > MediaReader.window || !waiting else { return }
            emitFirst()
        }
    }

    /// Puts a picture into the reorder window; one without a timestamp goes after everything so far.
    private func enqueue(_ item: Queued) {
        var item = item
        if item.pts == noPTS {
            let latest = queued.last.map { $0.pts } ?? lastPTS.map { $0 + videoOffset }
            item.pts = latest.map { $0 + (item.duration > 0 ? item.duration : defaultFrameDuration) } ?? videoOffset
        }
        var at = queued.count
        while at > 0 && queued[at - 1].pts > item.pts { at -= 1 }
        queued.insert(item, at: at)
    }

    /// Emits the earliest queued picture with a start-relative, strictly increasing timestamp.
    private func emitFirst() {
        let item = queued.removeFirst()
        let concealed = item.frame == nil
        guard let picture = item.frame ?? lastEmitted ?? queued.first(where: { $0.frame != nil })?.frame else { return }
        var pts = item.pts - videoOffset
        if let last = lastPTS, pts <= last { pts = last + 1 }
        let length = item.duration > 0 ? item.duration : defaultFrameDuration
        lastPTS = pts
        lastEmitted = picture
        if concealed { concealedFrameCount += 1 }
        ready.append(.video(VideoFrame(frame: picture, pts: pts, duration: length, isConcealed: concealed)))
    }
}
