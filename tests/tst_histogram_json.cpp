// Histograms as JSON: exact round trips over every bucket range, a sparse encoding, and refusals
// of bad input that name the field.
#include "session_file_test_support.h"

class TestHistogramJson : public QObject {
    Q_OBJECT

private slots:
    void histogramRoundTripIsExact_data();
    void histogramRoundTripIsExact();
    void histogramJsonIsSparse();
    void histogramJsonRefusesBadInput_data();
    void histogramJsonRefusesBadInput();
    void histogramJsonNamesMissingFields_data();
    void histogramJsonNamesMissingFields();
};

void TestHistogramJson::histogramRoundTripIsExact_data() {
    QTest::addColumn<Samples>("samples");
    QTest::newRow("empty") << Samples{};
    QTest::newRow("single value") << Samples{123'456};
    QTest::newRow("zero") << Samples{0};
    QTest::newRow("largest trackable") << Samples{Histogram::kMaxTrackable};
    QTest::newRow("lognormal ~20us") << lognormal_samples(100'000);
    QTest::newRow("overflow and negative values") << Samples{5,
                                                             300,
                                                             Histogram::kMaxTrackable,
                                                             Histogram::kMaxTrackable + 1,
                                                             std::numeric_limits<std::int64_t>::max(),
                                                             -7};
    Samples edges;
    for (int k = 0; k < Histogram::kMaxBits; ++k)
        for (const std::int64_t d : {-1, 0, 1})
            edges.push_back((std::int64_t{1} << k) + d);
    QTest::newRow("power-of-two edges") << edges;
}

void TestHistogramJson::histogramRoundTripIsExact() {
    QFETCH(Samples, samples);
    const Histogram h = histogram_of(samples);
    Histogram merged = h; // merged histograms must survive too
    merged.add(h);
    const Histogram& doubled = merged;
    for (const Histogram* original : {&h, &doubled}) {
        const std::string text = histogram_to_json(*original).dump();
        const Histogram back = histogram_from_json(json::parse(text));
        QVERIFY(back == *original);
        QCOMPARE(back.count(), original->count());
        QCOMPARE(back.min(), original->min());
        QCOMPARE(back.max(), original->max());
        QCOMPARE(back.mean(), original->mean());
        QCOMPARE(back.value_at_percentile(99.9), original->value_at_percentile(99.9));
        // A restored histogram keeps recording like the original.
        Histogram a = *original;
        Histogram b = back;
        a.record(777);
        b.record(777);
        QVERIFY(a == b);
    }
}

void TestHistogramJson::histogramJsonIsSparse() {
    const json j = small_histogram_json();
    QCOMPARE(j.dump(), std::string(R"({"counts":[[10,1],[20,1],[30,1]],"max":30,"max_bits":40,"min":10,)"
                                   R"("overflow":0,"sub_bucket_bits":8,"sum":60,"total":3,"unit":"ns"})"));
    QCOMPARE(histogram_to_json(Histogram{})["counts"].size(), std::size_t{0});
}

void TestHistogramJson::histogramJsonRefusesBadInput_data() {
    // Each patch is merged into the JSON of small_histogram_json() (RFC 7396: objects merge, anything
    // else replaces).
    QTest::addColumn<QString>("patch");
    QTest::addColumn<QString>("words");
    QTest::newRow("not an object") << "[1, 2]"
                                   << "histogram is not an object";
    QTest::newRow("wrong unit") << R"({"unit": "us"})"
                                << "histogram.unit is not \"ns\"";
    QTest::newRow("unit not a string") << R"({"unit": 1})"
                                       << "histogram.unit is not \"ns\"";
    QTest::newRow("wrong sub_bucket_bits") << R"({"sub_bucket_bits": 7})"
                                           << "histogram.sub_bucket_bits is 7";
    QTest::newRow("wrong max_bits") << R"({"max_bits": 41})"
                                    << "histogram.max_bits is 41";
    QTest::newRow("total not a number") << R"({"total": "3"})"
                                        << "histogram.total is not a number";
    QTest::newRow("total fractional") << R"({"total": 3.5})"
                                      << "histogram.total is not an integer";
    QTest::newRow("counts not an array") << R"({"counts": {"10": 1}})"
                                         << "histogram.counts is not an array";
    QTest::newRow("index out of range") << R"({"counts": [[10, 1], [20, 1], [99999, 1]]})"
                                        << "histogram.counts[2] index 99999 is out of range";
    QTest::newRow("index negative") << R"({"counts": [[-10, 1], [20, 1], [30, 1]]})"
                                    << "histogram.counts[0] index is negative";
    QTest::newRow("index fractional") << R"({"counts": [[10.5, 1], [20, 1], [30, 1]]})"
                                      << "histogram.counts[0] index is not an integer";
    QTest::newRow("duplicate index") << R"({"counts": [[10, 1], [20, 1], [10, 1]]})"
                                     << "histogram.counts[2] index 10 is listed twice";
    QTest::newRow("negative count") << R"({"counts": [[10, 1], [20, -1], [30, 3]]})"
                                    << "histogram.counts[1] count is negative";
    QTest::newRow("fractional count") << R"({"counts": [[10, 1], [20, 0.5], [30, 1]]})"
                                      << "histogram.counts[1] count is not an integer";
    QTest::newRow("count is a string") << R"({"counts": [[10, 1], [20, "1"], [30, 1]]})"
                                       << "histogram.counts[1] count is not a number";
    QTest::newRow("pair too short") << R"({"counts": [[10, 1], [20], [30, 1]]})"
                                    << "histogram.counts[1] is not an [index, count] pair";
    QTest::newRow("pair not an array") << R"({"counts": [[10, 1], 20, [30, 1]]})"
                                       << "histogram.counts[1] is not an [index, count] pair";
    QTest::newRow("too many pairs")
        << QString("{\"counts\": [%1[0, 1]]}").arg(QString("[0, 1], ").repeated(5000))
        << "more than the 4352 buckets";
    QTest::newRow("counts do not sum to total") << R"({"total": 4})"
                                                << "histogram.counts add up to 3, but total is 4";
    QTest::newRow("counts overflow 64 bits")
        << R"({"counts": [[10, 18446744073709551615], [20, 18446744073709551615], [30, 1]]})"
        << "histogram.counts add up to more than 2^64 - 1";
    QTest::newRow("min greater than max") << R"({"min": 30, "max": 10})"
                                          << "min 30 is greater than max 10";
    QTest::newRow("min negative") << R"({"min": -1})"
                                  << "histogram.min is negative";
    QTest::newRow("max beyond trackable") << R"({"max": 1099511627776})"
                                          << "above the largest trackable value";
    QTest::newRow("min outside its bucket") << R"({"min": 5})"
                                            << "min 5 is not in the lowest non-empty bucket";
    QTest::newRow("max outside its bucket") << R"({"max": 40})"
                                            << "max 40 is not in the highest non-empty bucket";
    QTest::newRow("overflow below the limit") << R"({"overflow": 1})"
                                              << "overflow count 1";
    QTest::newRow("sum impossible") << R"({"sum": 61})"
                                    << "sum 61 is outside";
    QTest::newRow("empty with extremes") << R"({"counts": [], "total": 0, "sum": 0})"
                                         << "an empty histogram must have";
}

void TestHistogramJson::histogramJsonRefusesBadInput() {
    QFETCH(QString, patch);
    QFETCH(QString, words);
    json j = small_histogram_json();
    j.merge_patch(json::parse(patch.toStdString()));
    try {
        histogram_from_json(j);
        QFAIL("accepted");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(words), e.what());
    }
}

void TestHistogramJson::histogramJsonNamesMissingFields_data() {
    QTest::addColumn<QString>("key");
    const json j = small_histogram_json();
    for (const auto& [key, value] : j.items())
        QTest::newRow(key.c_str()) << QString::fromStdString(key);
}

void TestHistogramJson::histogramJsonNamesMissingFields() {
    QFETCH(QString, key);
    json j = small_histogram_json();
    j.erase(key.toStdString());
    try {
        histogram_from_json(j, "whole_run");
        QFAIL("accepted");
    } catch (const std::runtime_error& e) {
        QCOMPARE(QString(e.what()), "whole_run." + key + " is missing");
    }
}

QTEST_GUILESS_MAIN(TestHistogramJson)
#include "tst_histogram_json.moc"
