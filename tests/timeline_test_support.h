#pragma once
// What the suites on the live timeline's markers share: the markers from a given one on, and a
// small sweep set up in the Sweep tab.
#include "main_window.h"
#include "session_bridge.h"
#include "sweep_tab.h"
#include "widget_lookup.h"

#include <QCheckBox>
#include <QLineEdit>
#include <QStringList>

#include <algorithm>
#include <string>
#include <vector>

// The live timeline's markers from the first one keyed `first` on (none when there is none), less
// the live run's own "stop": when that lands among the others depends on scheduling.
struct MarkerSpan {
    QStringList keys, labels;
    std::vector<double> t;
};
inline MarkerSpan markersFrom(const MainWindow& w, const std::string& first) {
    const auto& all = w.bridge()->history()->markers();
    MarkerSpan span;
    for (auto m = std::find_if(all.begin(), all.end(), [&](const auto& x) { return x.key == first; });
         m != all.end(); ++m)
        if (m->key != "stop") {
            span.keys << QString::fromStdString(m->key);
            span.labels << QString::fromStdString(m->value);
            span.t.push_back(m->t_s);
        }
    return span;
}

// The Sweep tab set for a short sweep: `rates`, 0 tasks, 64 B, UDP, blocking, 300 ms points after
// 100 ms of warm-up, the system ping or not, saved to `out`.
inline void setUpShortSweep(SweepTab* tab, const QString& rates, bool icmp, const QString& out) {
    child<QLineEdit>(tab, "ratesEdit")->setText(rates);
    child<QLineEdit>(tab, "tasksEdit")->setText("0");
    child<QLineEdit>(tab, "payloadsEdit")->setText("64");
    for (QCheckBox* b : allChildren<QCheckBox>(tab, "transportBox"))
        b->setChecked(b->text() == "udp");
    for (QCheckBox* b : allChildren<QCheckBox>(tab, "engineBox"))
        b->setChecked(b->text() == "blocking");
    child<QLineEdit>(tab, "durationEdit")->setText("300ms");
    child<QLineEdit>(tab, "warmupEdit")->setText("100ms");
    child<QCheckBox>(tab, "icmpBox")->setChecked(icmp);
    child<QLineEdit>(tab, "outEdit")->setText(out);
}
