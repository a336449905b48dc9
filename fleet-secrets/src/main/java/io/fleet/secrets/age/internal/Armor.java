package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** age's ASCII armor: strict PEM-like framing, padded base64 in 64-column lines. */
public final class Armor {
  static final String BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
  static final String END = "-----END AGE ENCRYPTED FILE-----";
  private static final int COLUMNS = 64;

  private Armor() {}

  /** Whether {@code c} is whitespace allowed around an armored file. */
  static boolean isSpace(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  static AgeException failure(String message) {
    return new AgeException(Kind.ARMOR_FAILURE, "age armor failure: " + message);
  }

  /** Writes the armor around everything written to it; {@link #close()} writes the end line. */
  public static final class Writer extends FilterOutputStream {
    private final byte[] group = new byte[COLUMNS / 4 * 3];
    private int len;
    private boolean closed;

    /** Starts an armored file on {@code out}. */
    public Writer(OutputStream out) throws IOException {
      super(out);
      out.write((BEGIN + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
      while (n > 0) {
        int k = Math.min(n, group.length - len);
        System.arraycopy(b, off, group, len, k);
        len += k;
        off += k;
        n -= k;
        if (len == group.length) {
          line();
        }
      }
    }

    private void line() throws IOException {
      byte[] enc = Base64.getEncoder().encode(java.util.Arrays.copyOf(group, len));
      out.write(enc);
      out.write('\n');
      len = 0;
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (len > 0) {
          line();
        }
        out.write((END + "\n").getBytes(StandardCharsets.US_ASCII));
      } finally {
        out.close();
      }
    }
  }

  /**
   * Reads an armored file (after optional leading whitespace) and returns the bytes inside. Every
   * line is checked as it is read; the end line and that only whitespace follows it are checked
   * when the data is exhausted.
   */
  public static final class Reader extends InputStream {
    private final InputStream in;
    private byte[] data = new byte[0];
    private int pos;
    private boolean sawLast;
    private boolean done;

    /** Reads the begin line (after leading whitespace) from {@code in}. */
    public Reader(InputStream in) throws IOException {
      this.in = in;
      int c = in.read();
      while (c >= 0 && isSpace(c)) {
        c = in.read();
      }
      StringBuilder sb = new StringBuilder();
      while (c >= 0 && c != '\n' && sb.length() <= COLUMNS + 1) {
        sb.append((char) c);
        c = in.read();
      }
      String first = stripCr(sb.toString());
      if (!first.equals(BEGIN)) {
        throw failure("the file does not start with " + BEGIN);
      }
      if (c != '\n') {
        throw failure("the begin line is not followed by a line break");
      }
    }

    private static String stripCr(String s) {
      return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The next line without its LF or CRLF, and whether it ended at EOF without one. */
    private String line() throws IOException {
      StringBuilder sb = new StringBuilder(COLUMNS + 2);
      while (true) {
        int c = in.read();
        if (c < 0) {
          if (sb.length() == 0) {
            throw failure("the end line " + END + " is missing");
          }
          String s = sb.toString();
          if (!s.equals(END)) {
            throw failure("the end line " + END + " is missing");
          }
          return s;
        }
        if (c == '\n') {
          return stripCr(sb.toString());
        }
        if (sb.length() > COLUMNS + 1) {
          throw failure("a line is longer than 64 columns");
        }
        sb.append((char) c);
      }
    }

    private boolean fill() throws IOException {
      if (done) {
        return false;
      }
      String l = line();
      if (l.equals(END)) {
        done = true;
        int c;
        while ((c = in.read()) >= 0) {
          if (!isSpace(c)) {
            throw failure("there is data after the end line");
          }
        }
        return false;
      }
      if (sawLast) {
        throw failure("a short or padded line is followed by more data");
      }
      if (l.isEmpty() || l.length() > COLUMNS) {
        throw failure(l.isEmpty() ? "empty line" : "a line is longer than 64 columns");
      }
      byte[] b = Base64s.decodePaddedStrict(l);
      if (b == null) {
        throw failure("a line is not canonical padded base64");
      }
      if (l.length() < COLUMNS || l.endsWith("=")) {
        sawLast = true;
      }
      data = b;
      pos = 0;
      return true;
    }

    @Override
    public int read() throws IOException {
      while (pos == data.length) {
        if (!fill()) {
          return -1;
        }
      }
      return data[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (pos == data.length) {
        if (!fill()) {
          return -1;
        }
      }
      int k = Math.min(len, data.length - pos);
      System.arraycopy(data, pos, b, off, k);
      pos += k;
      return k;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
