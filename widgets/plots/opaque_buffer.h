#pragma once

#include <qcustomplot.h>

#include <functional>

// The bottom paint buffer of every plot, cleared to the plot's background instead of transparent: it
// stays in the screen's own format (no alpha), so painting it onto the window is a copy, not a
// blend, and nothing needs to be filled under it (PlotBase::paintEvent). A buffered layer above it
// would still get an ordinary, transparent buffer.
class OpaqueBuffer : public QCPPaintBufferPixmap {
public:
    // `background` is asked for the colour at every clear (it follows palette changes).
    OpaqueBuffer(const QSize& size, double ratio, std::function<QColor()> background);
    void clear(const QColor&) override;

    // The colour a clear fills with.
    QColor background() const { return m_background(); }
    // Copies `image` (in device pixels) over the buffer with its top left at `at`: the strip a
    // PlotBase drew on its own (PlotBase::drawAppended) replaces what the last replot drew there.
    void put(const QImage& image, const QPoint& at);

protected:
    void reallocateBuffer() override;

private:
    std::function<QColor()> m_background;
};
