// Interval logs against the reference implementation, Debian's libhdrhistogram-java: what we write,
// Java's HistogramLogReader reads with the same count, min, max and percentiles for every interval;
// what Java's HistogramLogWriter writes, we read with Java's percentiles (within our resolution).
// The Java side is tests/java/HlogCheck.java, compiled here with javac. Without Java or the library
// the suite skips, saying which is missing (./test installs default-jdk-headless and
// libhdrhistogram-java).
#include "file_io.h"
#include "hlog_run.h"
#include "hlog_test_support.h"

#include <QProcess>
#include <QStandardPaths>

class TestHlogJava : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void ourLogReadByJava();
    void javaLogReadByUs();

private:
    QTemporaryDir m_dir;
    QString m_java;
    QString m_classpath;
};

namespace {

constexpr const char* kJar = "/usr/share/java/hdrhistogram.jar";

// One line of HlogCheck's output: tag start length count min max p50 p99 p99.9.
struct JavaInterval {
    QString tag;
    double start = 0, length = 0;
    std::int64_t count = 0, min = 0, max = 0, p50 = 0, p99 = 0, p999 = 0;
};

std::vector<JavaInterval> parseJava(const QByteArray& out) {
    std::vector<JavaInterval> v;
    for (const QByteArray& line : out.split('\n')) {
        const QList<QByteArray> f = line.trimmed().split(' ');
        if (f.size() != 9)
            continue;
        v.push_back({QString::fromUtf8(f[0]), f[1].toDouble(), f[2].toDouble(), f[3].toLongLong(),
                     f[4].toLongLong(), f[5].toLongLong(), f[6].toLongLong(), f[7].toLongLong(),
                     f[8].toLongLong()});
    }
    return v;
}

std::int64_t bucketTop(std::int64_t v) {
    return Histogram::highest_equivalent(Histogram::index_of(v));
}

} // namespace

void TestHlogJava::initTestCase() {
    m_java = QStandardPaths::findExecutable("java");
    const QString javac = QStandardPaths::findExecutable("javac");
    if (m_java.isEmpty() || javac.isEmpty())
        QSKIP("no java/javac: apt-get install default-jdk-headless (./test does)");
    if (!QFile::exists(kJar))
        QSKIP("no /usr/share/java/hdrhistogram.jar: apt-get install libhdrhistogram-java (./test does)");
    QVERIFY(m_dir.isValid());
    QProcess p;
    p.start(javac, {"-cp", kJar, "-d", m_dir.path(), QStringLiteral(LE_JAVA_SOURCE_DIR "/HlogCheck.java")});
    QVERIFY(p.waitForFinished(120'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    m_classpath = QString("%1:%2").arg(kJar, m_dir.path());
}

void TestHlogJava::ourLogReadByJava() {
    // A run with bursts: every interval has its whole histogram and Tag=first / Tag=rest ones.
    const BurstRun b = make_burst_run(
        6, 3, 1.0, 25'000, [](int i) { return 5000 + 3000 * i; }, [](int i) { return 0.3 + 0.3 * i; });
    const RunHistory& run = b.run;
    std::vector<Histogram> written;
    for (std::size_t i = 0; i < b.all.size(); ++i)
        written.insert(written.end(), {b.all[i], b.first[i], b.rest[i]});
    const QString path = m_dir.filePath("ours.hlog");
    write_file_atomically(path.toStdString(), hlog_from_run(run, 1'760'000'000.0));

    QProcess p;
    p.start(m_java, {"-cp", m_classpath, "HlogCheck", "read", path});
    QVERIFY(p.waitForFinished(120'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const auto java = parseJava(p.readAllStandardOutput());
    QCOMPARE(java.size(), written.size());
    const char* tags[] = {"-", "first", "rest"};
    for (std::size_t i = 0; i < java.size(); ++i) {
        const Histogram& h = written[i];
        const JavaInterval& j = java[i];
        const QString what = QString("interval %1 (%2)").arg(i / 3).arg(tags[i % 3]);
        QVERIFY2(j.tag == tags[i % 3], qPrintable(what));
        QCOMPARE(j.start, 1'760'000'000.0 + static_cast<double>(i / 3));
        QCOMPARE(j.length, 1.0);
        QCOMPARE(j.count, static_cast<std::int64_t>(h.count()));
        // The reference keeps min and max to the bucket; percentiles are bucket tops in both.
        QCOMPARE(j.min, Histogram::lowest_equivalent(Histogram::index_of(h.min())));
        QCOMPARE(j.max, bucketTop(h.max()));
        QCOMPARE(j.p50, bucketTop(h.value_at_percentile(50)));
        QCOMPARE(j.p99, bucketTop(h.value_at_percentile(99)));
        QCOMPARE(j.p999, bucketTop(h.value_at_percentile(99.9)));
        if (i % 3 == 0)
            qInfo("interval %zu: count %lld, p50 %lld / %lld ns, p99 %lld / %lld, p99.9 %lld / %lld, max "
                  "%lld / %lld "
                  "(Java / ours)",
                  i / 3, static_cast<long long>(j.count), static_cast<long long>(j.p50),
                  static_cast<long long>(h.value_at_percentile(50)), static_cast<long long>(j.p99),
                  static_cast<long long>(h.value_at_percentile(99)), static_cast<long long>(j.p999),
                  static_cast<long long>(h.value_at_percentile(99.9)), static_cast<long long>(j.max),
                  static_cast<long long>(h.max()));
    }
}

void TestHlogJava::javaLogReadByUs() {
    const QString path = m_dir.filePath("java.hlog");
    QProcess p;
    p.start(m_java, {"-cp", m_classpath, "HlogCheck", "write", path, "20261201"});
    QVERIFY(p.waitForFinished(120'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const auto java = parseJava(p.readAllStandardOutput());
    QCOMPARE(java.size(), std::size_t{12});

    const HdrLog log = read_hlog(path.toStdString());
    QCOMPARE(log.intervals.size(), java.size());
    double worst = 0; // largest relative difference of a 3-digit percentile
    for (std::size_t i = 0; i < java.size(); ++i) {
        const JavaInterval& j = java[i];
        const HdrLogInterval& in = log.intervals[i];
        const Histogram& h = in.histogram;
        const QString what = QString("interval %1 (%2)").arg(i / 2).arg(j.tag);
        QVERIFY2((in.tag.empty() ? QString("-") : QString::fromStdString(in.tag)) == j.tag, qPrintable(what));
        QCOMPARE(log.absolute_start(in), j.start);
        QCOMPARE(in.length_s, j.length);
        QCOMPARE(static_cast<std::int64_t>(h.count()), j.count);
        const std::pair<std::int64_t, std::int64_t> pairs[] = {{h.value_at_percentile(50), j.p50},
                                                               {h.value_at_percentile(99), j.p99},
                                                               {h.value_at_percentile(99.9), j.p999},
                                                               {h.max(), j.max}};
        if (j.tag == "-") {
            // 2 significant digits: the reference's buckets are ours, so the values are equal.
            QCOMPARE(h.min(), j.min);
            for (const auto& [ours, theirs] : pairs)
                QVERIFY2(ours == theirs,
                         qPrintable(QString("%1: ours %2, Java %3").arg(what).arg(ours).arg(theirs)));
        } else {
            // 3 digits: Java's value lies in our bucket, and ours is that bucket's top (or max).
            for (const auto& [ours, theirs] : pairs) {
                QVERIFY2(ours >= theirs && ours <= bucketTop(theirs),
                         qPrintable(QString("%1: ours %2, Java %3").arg(what).arg(ours).arg(theirs)));
                worst = std::max(worst, static_cast<double>(ours - theirs) / static_cast<double>(theirs));
            }
        }
    }
    qInfo("Java-written log: 12 intervals, counts equal; 2-digit percentiles equal; 3-digit ones at most "
          "%.3f%% above "
          "Java's (our resolution is 1/128 = 0.78%%)",
          worst * 100);
    QVERIFY(worst <= 1.0 / 128);

    // And as runs: one per tag.
    const auto runs = runs_from_hlog(log, "java", path.toStdString());
    QCOMPARE(runs.size(), std::size_t{2});
    QCOMPARE(runs[1].name(), std::string("java [fine]"));
    QCOMPARE(runs[0].intervals().size(), std::size_t{6});
    QCOMPARE(runs[0].intervals()[2].t_s, 3.0);
}

QTEST_GUILESS_MAIN(TestHlogJava)
#include "tst_hlog_java.moc"
