package io.fleet.secrets.age.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The STREAM payload encryptor: buffers up to one 64 KiB chunk, seals a chunk only when more data
 * follows it (so the final chunk, flagged last, may be full), and seals the last chunk on {@link
 * #close()}.
 */
final class PayloadWriter extends FilterOutputStream {
  static final int CHUNK = 64 * 1024;

  private final ChunkAead aead;
  private final byte[] buf = new byte[CHUNK];
  private final byte[] enc = new byte[CHUNK + ChunkAead.TAG];
  private final byte[] nonce = new byte[12];
  private int len;
  private long counter;
  private boolean closed;

  PayloadWriter(OutputStream out, byte[] payloadKey) {
    super(out);
    this.aead = ChunkAead.create(payloadKey);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int n) throws IOException {
    if (closed) {
      throw new IOException("age stream is closed");
    }
    while (n > 0) {
      if (len == CHUNK) {
        seal(false);
      }
      int k = Math.min(n, CHUNK - len);
      System.arraycopy(b, off, buf, len, k);
      len += k;
      off += k;
      n -= k;
    }
  }

  private void seal(boolean last) throws IOException {
    PayloadReader.nonce(nonce, counter, last);
    int n = aead.seal(nonce, buf, 0, len, enc, 0);
    out.write(enc, 0, n);
    counter++;
    len = 0;
  }

  @Override
  public void flush() throws IOException {
    // A chunk can only be sealed once it is known whether it is the last: nothing to flush early.
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      seal(true);
      java.util.Arrays.fill(buf, (byte) 0);
    } finally {
      out.close();
    }
  }
}
