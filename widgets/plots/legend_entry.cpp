#include "legend_entry.h"

#include "live_graph.h"

#include <algorithm>

LegendEntry::LegendEntry(QCPLegend* parent, QCPAbstractPlottable* plottable)
    : QCPPlottableLegendItem(parent, plottable) {
    m_text.setTextFormat(Qt::PlainText); // as QCustomPlot's entry draws a name: never rich text
}

QSize LegendEntry::minimumOuterSizeHint() const {
    if (!mPlottable)
        return {};
    const QSize icon = mParentLegend->iconSize();
    const QFont font = getFont();
    if (mPlottable->name() != m_name || font != m_font || icon.height() != m_iconHeight) {
        m_name = mPlottable->name();
        m_font = font;
        m_iconHeight = icon.height();
        // As QCPPlottableLegendItem measures it: a zero-width rect the icon's height, not clipped.
        m_textSize = QFontMetrics(font).boundingRect(0, 0, 0, icon.height(), Qt::TextDontClip, m_name).size();
    }
    return {icon.width() + mParentLegend->iconTextPadding() + m_textSize.width() + mMargins.left() +
                mMargins.right(),
            std::max(m_textSize.height(), icon.height()) + mMargins.top() + mMargins.bottom()};
}

void LegendEntry::draw(QCPPainter* painter) {
    if (!mPlottable)
        return;
    const auto* graph = qobject_cast<const LiveGraph*>(mPlottable);
    // PDF, SVG: text as text, as QCustomPlot's entry; a plottable of another kind: its icon is its own.
    if (!graph || painter->modes().testFlag(QCPPainter::pmVectorized)) {
        QCPPlottableLegendItem::draw(painter);
        return;
    }
    painter->setFont(getFont());
    painter->setPen(QPen(getTextColor()));
    if (m_text.text() != mPlottable->name())
        m_text.setText(mPlottable->name()); // laid out again at the next draw, and only then
    const QSize icon = mParentLegend->iconSize();
    // Where QCustomPlot's entry puts it: right of the icon, at the top of the entry.
    painter->drawStaticText(QPointF(mRect.x() + icon.width() + mParentLegend->iconTextPadding(), mRect.y()),
                            m_text);
    const QRect iconRect(mRect.topLeft(), icon);
    painter->save();
    painter->setClipRect(iconRect, Qt::IntersectClip);
    graph->drawIcon(painter, iconRect);
    painter->restore();
    if (getIconBorderPen().style() != Qt::NoPen) {
        painter->setPen(getIconBorderPen());
        painter->setBrush(Qt::NoBrush);
        const int halfPen = qCeil(painter->pen().widthF() * 0.5) + 1;
        painter->setClipRect(mOuterRect.adjusted(-halfPen, -halfPen, halfPen, halfPen));
        painter->drawRect(iconRect);
    }
}
