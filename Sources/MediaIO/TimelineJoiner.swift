import CFFmpeg

/// One continuous timeline for formats whose clock may restart mid-file (MPEG-TS, MPEG-PS:
/// concatenated recordings, broadcast splices), as ffmpeg's own command line makes it: when a
/// packet's dts lands more than 10 s from where its stream was heading, or more than 0.1 s before
/// that stream's previous packet, every timestamp from there on moves by the jump, so the next
/// packet continues where the stream left off.
struct TimelineJoiner {
    private static let microseconds = AVRational(num: 1, den: 1_000_000)
    private static let jumpLimit: Int64 = 10_000_000
    private static let backwardLimit: Int64 = 100_000

    /// Added to every timestamp read, in microseconds.
    private var offset: Int64 = 0
    private var streams: [Int32: (last: Int64, step: Int64)] = [:]

    /// Moves `packet`'s timestamps onto the joined timeline (`timeBase`: its stream's).
    mutating func join(_ packet: UnsafeMutablePointer<AVPacket>, timeBase: AVRational) {
        let p = packet.pointee
        // dts only: a pts may go back a few frames by design (B-frames).
        guard p.dts != noPTS else {
            if p.pts != noPTS && offset != 0 { packet.pointee.pts += av_rescale_q(offset, Self.microseconds, timeBase) }
            return
        }
        var time = av_rescale_q(p.dts, timeBase, Self.microseconds) + offset
        let index = p.stream_index
        if let previous = streams[index] {
            let jump = time - (previous.last + previous.step)
            if abs(jump) > Self.jumpLimit || time + Self.backwardLimit < previous.last {
                offset -= jump
                time -= jump
            }
        }
        if offset != 0 {
            let shift = av_rescale_q(offset, Self.microseconds, timeBase)
            if p.pts != noPTS { packet.pointee.pts += shift }
            if p.dts != noPTS { packet.pointee.dts += shift }
        }
        let duration = p.duration > 0 ? av_rescale_q(p.duration, timeBase, Self.microseconds) : 0
        let step = duration > 0 ? duration : streams[index].map { max(0, time - $0.last) } ?? 0
        streams[index] = (time, step > 0 ? step : streams[index]?.step ?? 0)
    }
}
