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
#endif
