#include "opaque_buffer.h"

#include <QPainter>

#include <utility>

OpaqueBuffer::OpaqueBuffer(const QSize& size, double ratio, std::function<QColor()> background)
    : QCPPaintBufferPixmap(size, ratio)
    , m_background(std::move(background)) {
    OpaqueBuffer::reallocateBuffer(); // the base class's constructor called its own
}

void OpaqueBuffer::clear(const QColor&) {
    mBuffer.fill(m_background());
}

void OpaqueBuffer::put(const QImage& image, const QPoint& at) {
    QPainter painter(&mBuffer);
    painter.setCompositionMode(QPainter::CompositionMode_Source); // a copy: the strip is opaque
    painter.drawImage(at, image);
}

void OpaqueBuffer::reallocateBuffer() {
    QCPPaintBufferPixmap::reallocateBuffer();
    mBuffer.fill(m_background()); // a paint before the first replot shows the background
}
