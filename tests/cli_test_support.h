#pragma once

// What the command-line suites share: the programs, short runs, and checks of the JSON record
// contract (every key, the right types, ordered percentiles, counts that add up).
#include "endpoint.h"
#include "pong_child.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <stdexcept>

#include <signal.h>
#include <sys/types.h>

inline const QString kPing = QStringLiteral(LE_PING_PATH);
inline const QString kPong = QStringLiteral(LE_PONG_PATH);

// Short runs keep the whole suite well under a minute.
inline const QStringList kShortRun = {"--duration", "1s", "--warmup", "200ms", "--interval", "500ms"};

inline const QStringList kRecordKeys = {"t_s",
                                        "target_rate",
                                        "achieved_rate",
                                        "payload",
                                        "tasks",
                                        "sent",
                                        "received",
                                        "lost",
                                        "errors",
                                        "min_us",
                                        "mean_us",
                                        "p50_us",
                                        "p90_us",
                                        "p99_us",
                                        "p999_us",
                                        "p9999_us",
                                        "max_us",
                                        "send_lag_p50_us",
                                        "send_lag_p99_us",
                                        "send_lag_max_us"};
// Text keys every record carries too.
inline const QStringList kRecordTextKeys = {"engine", "ping_cpus", "pong_cpus"};

inline QList<QByteArray> nonEmptyLines(const QByteArray& text) {
    QList<QByteArray> lines;
    for (const QByteArray& line : text.split('\n'))
        if (!line.trimmed().isEmpty())
            lines << line;
    return lines;
}

// Every non-empty line must be a JSON object; returns them in order, or sets *error.
inline QList<QJsonObject> jsonRecords(const QByteArray& text, QString* error) {
    QList<QJsonObject> records;
    for (const QByteArray& line : nonEmptyLines(text)) {
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
            *error =
                QStringLiteral("not a JSON object (%1): %2").arg(pe.errorString(), QString::fromUtf8(line));
            return {};
        }
        records << doc.object();
    }
    return records;
}

// All contract keys present with the right types; percentiles ordered when something was received.
inline QString checkRecord(const QJsonObject& r) {
    const QString type = r.value("type").toString();
    if (type != "interval" && type != "summary")
        return QStringLiteral("bad type '%1'").arg(type);
    for (const QString& key : kRecordKeys) {
        if (!r.contains(key))
            return QStringLiteral("%1 record lacks '%2'").arg(type, key);
        const QJsonValue v = r.value(key);
        if (!v.isDouble() && !(key == "target_rate" && v.isNull()))
            return QStringLiteral("%1 record: '%2' is not a number").arg(type, key);
    }
    for (const QString& key : kRecordTextKeys)
        if (!r.value(key).isString() || r.value(key).toString().isEmpty())
            return QStringLiteral("%1 record lacks '%2'").arg(type, key);
    if (!r.value("saturated").isBool())
        return QStringLiteral("%1 record: 'saturated' is not true or false").arg(type);
    if (r.value("send_lag_p50_us").toDouble() > r.value("send_lag_p99_us").toDouble() ||
        r.value("send_lag_p99_us").toDouble() > r.value("send_lag_max_us").toDouble())
        return QStringLiteral("%1 record: send lag percentiles out of order").arg(type);
    if (r.value("received").toInteger() > 0) {
        const QStringList order = {"min_us", "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us"};
        for (qsizetype i = 1; i < order.size(); ++i)
            if (r.value(order[i - 1]).toDouble() > r.value(order[i]).toDouble())
                return QStringLiteral("%1 record: %2 %3 > %4 %5")
                    .arg(type, order[i - 1])
                    .arg(r.value(order[i - 1]).toDouble())
                    .arg(order[i])
                    .arg(r.value(order[i]).toDouble());
        if (r.value("p50_us").toDouble() <= 0)
            return QStringLiteral("%1 record: p50_us is not positive").arg(type);
    }
    return {};
}

inline QString checkSummaryCounts(const QJsonObject& s) {
    const qint64 sent = s.value("sent").toInteger(), received = s.value("received").toInteger();
    const qint64 lost = s.value("lost").toInteger(), errors = s.value("errors").toInteger();
    if (sent != received + lost + errors)
        return QStringLiteral("sent %1 != received %2 + lost %3 + errors %4")
            .arg(sent)
            .arg(received)
            .arg(lost)
            .arg(errors);
    if (received <= 0)
        return QStringLiteral("nothing received");
    return {};
}

inline QString uniqueSocketPath(const QString& tag) {
    return QStringLiteral("/tmp/le-tst-cli-%1-%2.sock").arg(QCoreApplication::applicationPid()).arg(tag);
}
