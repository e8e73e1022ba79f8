#include "legend_entry.h"

#include <algorithm>

LegendEntry::LegendEntry(QCPLegend* parent, QCPAbstractPlottable* plottable)
    : QCPPlottableLegendItem(parent, plottable) {}

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
