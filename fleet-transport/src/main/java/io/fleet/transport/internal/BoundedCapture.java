package io.fleet.transport.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An output stream that keeps the first {@code limit} bytes written to it and counts the rest, so a
 * chatty standard error cannot exhaust memory. Thread safe.
 */
public final class BoundedCapture extends OutputStream {
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final int limit;
  private long dropped;

  /** Keeps at most {@code limit} bytes. */
  public BoundedCapture(int limit) {
    this.limit = limit;
  }

  @Override
  public synchronized void write(int b) {
    if (kept.size() < limit) {
      kept.write(b);
    } else {
      dropped++;
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    int room = Math.max(0, limit - kept.size());
    int take = Math.min(room, len);
    kept.write(b, off, take);
    dropped += len - take;
  }

  /** What was kept, followed by a note of how much was left out, if anything was. */
  public synchronized byte[] bytes() {
    byte[] b = kept.toByteArray();
    if (dropped == 0) {
      return b;
    }
    byte[] note = ("\n[… " + dropped + " more bytes left out]\n").getBytes(StandardCharsets.UTF_8);
    byte[] all = Arrays.copyOf(b, b.length + note.length);
    System.arraycopy(note, 0, all, b.length, note.length);
    return all;
  }
}
