package io.fleet.transport.internal;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An output stream that keeps the last {@code limit} bytes written to it (a ring buffer) and counts
 * them all, so a command's chatty output costs bounded memory while its end, where errors usually
 * are, survives. Thread safe.
 */
public final class TailCapture extends OutputStream {
  private final int limit;
  // Filled from index 0 while it grows (doubling, up to limit); a ring once it holds limit bytes.
  private byte[] ring = new byte[0];
  private long total;

  /** Keeps at most {@code limit} bytes. */
  public TailCapture(int limit) {
    this.limit = Math.max(0, limit);
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    if (ring.length < limit && total + len > ring.length) {
      // Still growing: nothing has wrapped yet, so the content is ring[0, total).
      long want = Math.max(total + len, 2L * ring.length);
      ring = java.util.Arrays.copyOf(ring, (int) Math.min(limit, Math.max(256, want)));
    }
    int n = ring.length;
    if (n == 0) {
      total += len;
      return;
    }
    if (len >= n) {
      // Only the last n bytes can survive.
      off += len - n;
      total += len - n;
      len = n;
    }
    int pos = (int) (total % n);
    int first = Math.min(len, n - pos);
    System.arraycopy(b, off, ring, pos, first);
    System.arraycopy(b, off + first, ring, 0, len - first);
    total += len;
  }

  /** How many bytes were written in all. */
  public synchronized long total() {
    return total;
  }

  /** The kept bytes, oldest first. */
  public synchronized byte[] bytes() {
    int n = ring.length;
    int kept = (int) Math.min(total, n);
    byte[] out = new byte[kept];
    if (kept == 0) {
      return out;
    }
    int start = (int) ((total - kept) % n);
    int first = Math.min(kept, n - start);
    System.arraycopy(ring, start, out, 0, first);
    System.arraycopy(ring, 0, out, first, kept - first);
    return out;
  }

  /**
   * The kept bytes as UTF-8; when the start was cut off, the partial character there is dropped
   * rather than shown as a replacement character.
   */
  public String text() {
    return tailText(bytes(), total() > limit);
  }

  /** The last {@code limit} bytes of {@code bytes} as UTF-8, as {@link #text()} does. */
  public static String tail(byte[] bytes, int limit) {
    if (bytes.length <= limit) {
      return tailText(bytes, false);
    }
    byte[] t = new byte[limit];
    System.arraycopy(bytes, bytes.length - limit, t, 0, limit);
    return tailText(t, true);
  }

  private static String tailText(byte[] b, boolean cut) {
    int start = 0;
    if (cut) {
      while (start < b.length && start < 3 && (b[start] & 0xC0) == 0x80) {
        start++;
      }
    }
    return new String(b, start, b.length - start, StandardCharsets.UTF_8);
  }
}
