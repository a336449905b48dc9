package io.fleet.testkit.internal;

import io.fleet.api.FleetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The export format of the fake evaluator, read by fake hosts' {@code nix-store --import}: for each
 * path a header line {@code fake-nar <path> <size> <ref,ref|->}, then {@code size} bytes, then a
 * newline; then {@code fake-nar-end}. The bytes are a deterministic pattern, so a copy moves as
 * many bytes as the paths' NAR sizes say.
 */
public final class FakeNar {
  private static final byte[] PATTERN = new byte[8192];

  static {
    for (int i = 0; i < PATTERN.length; i++) {
      PATTERN[i] = (byte) ('a' + i % 26);
    }
  }

  private FakeNar() {}

  /** One entry: a path, its size and its references. */
  public static final class Entry {
    /** The store path. */
    public final String path;

    /** The number of body bytes (the path's NAR size). */
    public final long size;

    /** The paths it references. */
    public final List<String> references;

    /** An entry. */
    public Entry(String path, long size, List<String> references) {
      this.path = path;
      this.size = size;
      this.references = List.copyOf(references);
    }
  }

  /** Writes one entry. */
  public static void write(OutputStream out, Entry e) throws IOException {
    String refs = e.references.isEmpty() ? "-" : String.join(",", e.references);
    out.write(
        ("fake-nar " + e.path + " " + e.size + " " + refs + "\n").getBytes(StandardCharsets.UTF_8));
    long left = e.size;
    while (left > 0) {
      int k = (int) Math.min(left, PATTERN.length);
      out.write(PATTERN, 0, k);
      left -= k;
    }
    out.write('\n');
  }

  /** Writes the end marker. */
  public static void end(OutputStream out) throws IOException {
    out.write("fake-nar-end\n".getBytes(StandardCharsets.UTF_8));
  }

  /** Reads the next header, or returns null at the end marker. */
  public static Entry readHeader(InputStream in) throws IOException {
    String line = readLine(in);
    if (line == null) {
      throw new FleetException("fake-nar stream ended without its end marker");
    }
    if (line.equals("fake-nar-end")) {
      return null;
    }
    String[] f = line.split(" ");
    if (f.length != 4 || !f[0].equals("fake-nar")) {
      throw new FleetException("not a fake-nar header: " + Printable.of(line));
    }
    List<String> refs = new ArrayList<>();
    if (!f[3].equals("-")) {
      refs.addAll(List.of(f[3].split(",")));
    }
    return new Entry(f[1], Long.parseLong(f[2]), refs);
  }

  /** Reads and discards an entry's body (its bytes and the newline after them). */
  public static void skipBody(InputStream in, Entry e) throws IOException {
    byte[] buf = new byte[8192];
    long left = e.size + 1;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new FleetException("fake-nar stream ended inside " + e.path);
      }
      left -= r;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        return b.toString(StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }
}
