#pragma once

// bench_window's reference: latency-ping alone, run as a separate process with the same settings.
#include "bench_window_options.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

#include <cstdio>
#include <optional>

namespace bench_window {

// latency-ping alone, in-process pong, back-to-back: its summary's achieved_rate.
inline std::optional<double> referenceRate(const Options& o) {
    QStringList args{QStringLiteral("--rate"),      QStringLiteral("inf"),
                     QStringLiteral("--duration"),  QStringLiteral("%1s").arg(o.duration),
                     QStringLiteral("--warmup"),    QStringLiteral("1s"),
                     QStringLiteral("--format"),    QStringLiteral("json"),
                     QStringLiteral("--transport"), o.transport,
                     QStringLiteral("--engine"),    o.engine};
    if (!o.pingCpus.isEmpty())
        args << QStringLiteral("--cpu") << o.pingCpus;
    if (!o.pongCpus.isEmpty())
        args << QStringLiteral("--pong-cpu") << o.pongCpus;
    std::printf("reference: %s %s\n", qPrintable(o.ping), qPrintable(args.join(QLatin1Char(' '))));
    std::fflush(stdout);
    QProcess ping;
    ping.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    ping.start(o.ping, args);
    if (!ping.waitForStarted(10000)) {
        std::fprintf(stderr, "cannot start %s: %s\n", qPrintable(o.ping), qPrintable(ping.errorString()));
        return std::nullopt;
    }
    if (!ping.waitForFinished(int((o.duration + 31) * 1000))) {
        std::fprintf(stderr, "latency-ping did not finish in time\n");
        ping.kill();
        ping.waitForFinished(5000);
        return std::nullopt;
    }
    const QList<QByteArray> lines = ping.readAllStandardOutput().split('\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const QJsonObject j = QJsonDocument::fromJson(*it).object();
        if (j.value(QLatin1String("type")).toString() != QLatin1String("summary"))
            continue;
        const double rate = j.value(QLatin1String("achieved_rate")).toDouble();
        if (ping.exitStatus() != QProcess::NormalExit || ping.exitCode() != 0)
            std::fprintf(stderr, "warning: latency-ping ended with exit code %d\n", ping.exitCode());
        if (!(rate > 0)) {
            std::fprintf(stderr, "latency-ping completed no round trip\n");
            return std::nullopt;
        }
        return rate;
    }
    std::fprintf(stderr, "latency-ping printed no summary (exit code %d)\n", ping.exitCode());
    return std::nullopt;
}

} // namespace bench_window
