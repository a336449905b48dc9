package io.fleet.transport.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/** Copies streams in fixed-size chunks, never holding more than one chunk in memory. */
public final class Pump {
  private static final int CHUNK = 64 * 1024;

  private Pump() {}

  /**
   * Copies {@code in} to {@code out} until end of input, flushing after each chunk, and returns how
   * many bytes it copied; {@code counter}, if not null, grows as bytes pass.
   */
  public static long copy(InputStream in, OutputStream out, AtomicLong counter) throws IOException {
    byte[] buf = new byte[CHUNK];
    long total = 0;
    int n;
    while ((n = in.read(buf)) != -1) {
      out.write(buf, 0, n);
      out.flush();
      total += n;
      if (counter != null) {
        counter.addAndGet(n);
      }
    }
    return total;
  }
}
