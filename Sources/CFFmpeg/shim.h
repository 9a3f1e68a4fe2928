#ifndef STYLIZE_CFFMPEG_SHIM_H
#define STYLIZE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

/* Swift cannot import function-like macros; these expose the ones we need. */
static inline int stylize_averror(int e) { return AVERROR(e); }
static inline int stylize_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t stylize_av_nopts(void) { return AV_NOPTS_VALUE; }

/* More error codes (FFERRTAG is a function-like macro). */
static inline int stylize_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int stylize_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int stylize_averror_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
static inline int stylize_averror_demuxer_not_found(void) { return AVERROR_DEMUXER_NOT_FOUND; }
static inline int stylize_averror_muxer_not_found(void) { return AVERROR_MUXER_NOT_FOUND; }
static inline int stylize_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int stylize_averror_patchwelcome(void) { return AVERROR_PATCHWELCOME; }
static inline int stylize_averror_experimental(void) { return AVERROR_EXPERIMENTAL; }
static inline AVRational stylize_av_time_base_q(void) { return AV_TIME_BASE_Q; }

/* AVFrame's data/linesize are fixed-size arrays (tuples in Swift); index them here. */
static inline uint8_t *stylize_frame_data(const AVFrame *f, int plane) { return f->data[plane]; }
static inline int stylize_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }
static inline void stylize_frame_set_plane(AVFrame *f, int plane, uint8_t *data, int linesize) {
    f->data[plane] = data; f->linesize[plane] = linesize;
}
/* sws_scale takes arrays of plane pointers; build them from frames. */
static inline int stylize_sws_scale_frames(struct SwsContext *c, const AVFrame *src, AVFrame *dst) {
    return sws_scale(c, (const uint8_t * const *)src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
}
/* Make `f` (width, height, format already set) use `buf` (a reference the frame takes over) as its
 * single backing buffer, laid out by av_image_fill_arrays with `align`. Returns <0 on error. */
static inline int stylize_frame_attach_buffer(AVFrame *f, AVBufferRef *buf, int align) {
    int ret = av_image_fill_arrays(f->data, f->linesize, buf->data, (enum AVPixelFormat)f->format,
                                   f->width, f->height, align);
    if (ret < 0) { av_buffer_unref(&buf); return ret; }
    f->buf[0] = buf;
    return 0;
}
/* Copies a picture to/from one tightly packed buffer (av_image_copy_to_buffer layout, align 1). */
static inline int stylize_frame_copy_to_buffer(const AVFrame *f, uint8_t *dst, int size) {
    return av_image_copy_to_buffer(dst, size, (const uint8_t * const *)f->data, f->linesize,
                                   (enum AVPixelFormat)f->format, f->width, f->height, 1);
}
static inline int stylize_frame_copy_from_buffer(AVFrame *f, const uint8_t *src, int size) {
    uint8_t *data[4]; int linesize[4];
    int need = av_image_fill_arrays(data, linesize, src, (enum AVPixelFormat)f->format, f->width, f->height, 1);
    if (need < 0) return need;
    if (need > size) return AVERROR(EINVAL);
    av_image_copy(f->data, f->linesize, (const uint8_t **)data, linesize,
                  (enum AVPixelFormat)f->format, f->width, f->height);
    return 0;
}
/* Audio: swr_convert and the FIFO take plane-pointer arrays. */
static inline int stylize_swr_convert_frames(SwrContext *s, AVFrame *out, int out_capacity, const AVFrame *in) {
    return swr_convert(s, out->extended_data, out_capacity,
                       in ? (const uint8_t **)in->extended_data : NULL, in ? in->nb_samples : 0);
}
static inline int stylize_fifo_write_frame(AVAudioFifo *fifo, const AVFrame *f, int nb_samples) {
    return av_audio_fifo_write(fifo, (void **)f->extended_data, nb_samples);
}
static inline int stylize_fifo_read_frame(AVAudioFifo *fifo, AVFrame *f, int nb_samples) {
    return av_audio_fifo_read(fifo, (void **)f->extended_data, nb_samples);
}
#endif
