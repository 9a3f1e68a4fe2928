#ifndef STYLIZE_CV4L2_SHIM_H
#define STYLIZE_CV4L2_SHIM_H
// Swift cannot import function-like macros (VIDIOC_*, v4l2_fourcc) nor call
// variadic C functions (v4l2_open, v4l2_ioctl). Everything Swift needs from
// them is re-exported below as plain constants and fixed-arity functions.
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <fcntl.h>

// MARK: libv4l2 calls with a fixed arity

static inline int stylize_v4l2_open(const char *path, int flags) {
    return v4l2_open(path, flags);
}

static inline int stylize_v4l2_ioctl(int fd, unsigned long request, void *arg) {
    return v4l2_ioctl(fd, request, arg);
}

// MARK: ioctl request codes

static const unsigned long STYLIZE_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long STYLIZE_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long STYLIZE_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long STYLIZE_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long STYLIZE_VIDIOC_TRY_FMT = VIDIOC_TRY_FMT;
static const unsigned long STYLIZE_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long STYLIZE_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long STYLIZE_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long STYLIZE_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long STYLIZE_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long STYLIZE_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long STYLIZE_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long STYLIZE_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long STYLIZE_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

// MARK: pixel formats (fourcc codes)

static const unsigned int STYLIZE_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const unsigned int STYLIZE_V4L2_PIX_FMT_NV12 = V4L2_PIX_FMT_NV12;
static const unsigned int STYLIZE_V4L2_PIX_FMT_YUV420 = V4L2_PIX_FMT_YUV420;
static const unsigned int STYLIZE_V4L2_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
static const unsigned int STYLIZE_V4L2_PIX_FMT_BGR24 = V4L2_PIX_FMT_BGR24;
static const unsigned int STYLIZE_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const unsigned int STYLIZE_V4L2_PIX_FMT_H264 = V4L2_PIX_FMT_H264;

// MARK: struct sizes, so tests can check Swift's imported layout against C's

static const unsigned long STYLIZE_SIZEOF_V4L2_CAPABILITY = sizeof(struct v4l2_capability);
static const unsigned long STYLIZE_SIZEOF_V4L2_FMTDESC = sizeof(struct v4l2_fmtdesc);
static const unsigned long STYLIZE_SIZEOF_V4L2_FORMAT = sizeof(struct v4l2_format);
static const unsigned long STYLIZE_SIZEOF_V4L2_FRMSIZEENUM = sizeof(struct v4l2_frmsizeenum);
static const unsigned long STYLIZE_SIZEOF_V4L2_STREAMPARM = sizeof(struct v4l2_streamparm);
static const unsigned long STYLIZE_SIZEOF_V4L2_REQUESTBUFFERS = sizeof(struct v4l2_requestbuffers);
static const unsigned long STYLIZE_SIZEOF_V4L2_BUFFER = sizeof(struct v4l2_buffer);
static const unsigned long STYLIZE_OFFSETOF_V4L2_BUFFER_M = __builtin_offsetof(struct v4l2_buffer, m);
static const unsigned long STYLIZE_OFFSETOF_V4L2_FORMAT_FMT = __builtin_offsetof(struct v4l2_format, fmt);

#endif
