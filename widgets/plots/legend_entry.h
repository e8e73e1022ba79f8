#pragma once

#include <qcustomplot.h>

#include <QStaticText>

// A plottable's legend entry that measures its text once, not at every replot. QCustomPlot's own
// entry measures it for the layout's size hint at every replot, and the window asks again when it
// fits the legend's columns; with 5 to 10 entries per plot at 30 redraws per second that was ~4.5 %
// of the GUI thread's time, for names that change only when the series do. It draws as
// QCPPlottableLegendItem does, its text laid out once too (QStaticText): QCustomPlot's entry shapes
// it again at every replot (harfbuzz and QTextLayout, ~5 % of a live frame's instructions).
class LegendEntry : public QCPPlottableLegendItem {
    Q_OBJECT
public:
    LegendEntry(QCPLegend* parent, QCPAbstractPlottable* plottable);

    QSize minimumOuterSizeHint() const override;

protected:
    void draw(QCPPainter* painter) override;

private:
    mutable QString m_name; // what m_textSize was measured for
    mutable QFont m_font;
    mutable int m_iconHeight = -1;
    mutable QSize m_textSize;
    QStaticText m_text; // the plottable's name laid out (in the painter's font when drawn)
};
