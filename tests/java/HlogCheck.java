// The reference side of tst_hlog_java: HdrHistogram's own log reader and writer (Debian's
// libhdrhistogram-java), compiled with javac by the test.
//   java HlogCheck read FILE        prints one line per interval the reference reader finds:
//                                   tag start length count min max p50 p99 p99.9 (values as longs)
//   java HlogCheck write FILE SEED  writes a log with HistogramLogWriter (random values in ns, several
//                                   intervals, untagged with 2 significant digits and Tag=fine with 3)
//                                   and prints the same line for every interval it wrote
import java.io.File;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

public class HlogCheck {
    static String line(Histogram h) {
        String tag = h.getTag() == null ? "-" : h.getTag();
        return String.format(Locale.US, "%s %.3f %.3f %d %d %d %d %d %d", tag,
                h.getStartTimeStamp() / 1000.0, (h.getEndTimeStamp() - h.getStartTimeStamp()) / 1000.0,
                h.getTotalCount(), h.getMinValue(), h.getMaxValue(), h.getValueAtPercentile(50.0),
                h.getValueAtPercentile(99.0), h.getValueAtPercentile(99.9));
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("read")) {
            HistogramLogReader reader = new HistogramLogReader(new File(args[1]));
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null)
                System.out.println(line((Histogram) e));
            return;
        }
        Random random = new Random(Long.parseLong(args[2]));
        long base = 1700000000000L;
        try (PrintStream out = new PrintStream(new File(args[1]))) {
            HistogramLogWriter writer = new HistogramLogWriter(out);
            writer.outputLogFormatVersion();
            writer.outputStartTime(base);
            writer.setBaseTime(base);
            writer.outputBaseTime(base);
            writer.outputLegend();
            for (int i = 0; i < 6; ++i) {
                for (int digits : new int[] {2, 3}) {
                    Histogram h = new Histogram(1, 3600L * 1000000000L, digits);
                    int n = 2000 + random.nextInt(20000);
                    for (int k = 0; k < n; ++k) // lognormal around 30 us, a tail to tens of ms
                        h.recordValue((long) (30000 * Math.exp(random.nextGaussian() * (i + 1) * 0.4)));
                    h.setStartTimeStamp(base + 1000L * i);
                    h.setEndTimeStamp(base + 1000L * (i + 1));
                    if (digits == 3)
                        h.setTag("fine");
                    writer.outputIntervalHistogram(h);
                    System.out.println(line(h));
                }
            }
        }
    }
}
