// Overlays shifted in time, to line a saved run, a baseline or an interval log up with the live run
// on the percentiles over time (the other plots have no time axis).
#include "main_window.h"

#include "overlay_runs.h"
#include "plot_runs.h"
#include "qt_string.h"

#include <QAction>
#include <QInputDialog>
#include <QMenu>
#include <QStatusBar>

void MainWindow::buildShiftActions(QMenu* view) {
    QAction* shift = view->addAction(tr("S&hift Overlay in Time…"), this, [this] {
        const int index = chooseOverlay(tr("Shift overlay in time"));
        if (index < 0)
            return;
        const QString name = qs(m_overlays->runs()[index]->name());
        bool ok = false;
        const QString text = QInputDialog::getText(
            this, tr("Shift overlay in time"),
            tr("Draw %1 on the percentiles over time this many seconds later\n"
               "(negative: earlier; 0: from its own start):")
                .arg(name),
            QLineEdit::Normal, QString::number(m_overlays->shifts()[index], 'g', 12), &ok);
        if (!ok)
            return;
        if (const QString e = shiftOverlay(index, text); !e.isEmpty())
            showError(tr("Shift overlay"), e);
    });
    shift->setObjectName(QStringLiteral("shiftOverlayAction"));
    shift->setToolTip(tr("Move an overlay along the time axis to line it up with the live run"));
    QAction* align = view->addAction(tr("A&lign Overlay with Live Run's Start"), this, [this] {
        const int index = chooseOverlay(tr("Align overlay with the live run"));
        if (index < 0)
            return;
        if (const QString e = alignOverlayWithLive(index); !e.isEmpty())
            showError(tr("Align overlay"), e);
    });
    align->setObjectName(QStringLiteral("alignOverlayAction"));
    align->setToolTip(tr("Draw an overlay from where the live run last started or restarted"));
    const auto enable = [this, shift, align] {
        shift->setEnabled(!m_overlays->runs().isEmpty());
        align->setEnabled(!m_overlays->runs().isEmpty());
    };
    connect(m_overlays, &OverlayRuns::changed, this, enable);
    enable();
}

int MainWindow::chooseOverlay(const QString& title) {
    const auto runs = m_overlays->runs();
    if (runs.size() <= 1)
        return runs.isEmpty() ? -1 : 0;
    QStringList names;
    const QList<double> shifts = m_overlays->shifts();
    for (qsizetype i = 0; i < runs.size(); ++i)
        names << QStringLiteral("%1. %2").arg(i + 1).arg(shiftedName(qs(runs[i]->name()), shifts[i]));
    bool ok = false;
    const QString choice = QInputDialog::getItem(this, title, tr("Overlay:"), names, 0, false, &ok);
    return ok ? int(names.indexOf(choice)) : -1;
}

QString MainWindow::shiftOverlay(int index, const QString& seconds) {
    double shift = 0;
    if (QString e = OverlayRuns::parseShift(seconds, shift); !e.isEmpty())
        return e;
    if (QString e = m_overlays->setShift(index, shift); !e.isEmpty())
        return e;
    statusBar()->showMessage(
        tr("Overlay drawn as %1").arg(shiftedName(qs(m_overlays->runs()[index]->name()), shift)), 4000);
    return {};
}

QString MainWindow::alignOverlayWithLive(int index) {
    // The live run's current start: its latest start or restart marker (New Run starts at 0).
    const auto& markers = m_bridge->history()->markers();
    const auto start = std::find_if(markers.rbegin(), markers.rend(), [](const le::ParamChange& m) {
        return m.key == "start" || m.key == "restart";
    });
    if (start == markers.rend())
        return tr("the live run has not started: nothing to line the overlay up with");
    return shiftOverlay(index, QString::number(start->t_s, 'f', 3));
}
