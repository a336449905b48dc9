package io.fleet.secrets.age.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The STREAM payload encryptor. Chunks are independent, so a batch of up to {@link
 * Parallelism#BATCH} full chunks is sealed on several cores at once; a chunk is sealed only once it
 * is known whether more data follows it (the final chunk, flagged last, may be full), and the last
 * batch is sealed on {@link #close()}.
 */
final class PayloadWriter extends FilterOutputStream {
  static final int CHUNK = 64 * 1024;

  private final byte[] key;
  private final ChunkAead aead;
  private final byte[][] plain = new byte[Parallelism.BATCH][];
  private final byte[][] enc = new byte[Parallelism.BATCH][];
  private final int[] encLen = new int[Parallelism.BATCH];
  private int chunks; // chunks in this batch, the last one being filled
  private int len; // bytes in the chunk being filled
  private long counter;
  private boolean closed;

  PayloadWriter(OutputStream out, byte[] payloadKey) {
    super(out);
    this.key = payloadKey.clone();
    this.aead = ChunkAead.create(payloadKey);
    this.plain[0] = new byte[CHUNK];
    this.chunks = 1;
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
        // The current chunk is full and more data follows: it is not the last.
        if (chunks == Parallelism.BATCH) {
          sealBatch(false);
        }
        if (plain[chunks] == null) {
          plain[chunks] = new byte[CHUNK];
        }
        chunks++;
        len = 0;
      }
      int k = Math.min(n, CHUNK - len);
      System.arraycopy(b, off, plain[chunks - 1], len, k);
      len += k;
      off += k;
      n -= k;
    }
  }

  /** Seals the chunks of this batch (the final one flagged if {@code last}) and writes them. */
  private void sealBatch(boolean last) throws IOException {
    int n = chunks;
    if (n == 1) {
      encLen[0] = seal(aead, 0, last);
    } else {
      IntStream.range(0, n)
          .parallel()
          .forEach(i -> encLen[i] = seal(ChunkAead.create(key), i, last && i == n - 1));
    }
    for (int i = 0; i < n; i++) {
      out.write(enc[i], 0, encLen[i]);
    }
    counter += n;
    chunks = 0;
  }

  private int seal(ChunkAead a, int i, boolean last) {
    if (enc[i] == null) {
      enc[i] = new byte[CHUNK + ChunkAead.TAG];
    }
    byte[] nonce = new byte[12];
    PayloadReader.nonce(nonce, counter + i, last);
    int size = i == chunks - 1 ? len : CHUNK;
    return a.seal(nonce, plain[i], 0, size, enc[i], 0);
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
      sealBatch(true);
      for (byte[] p : plain) {
        if (p != null) {
          Arrays.fill(p, (byte) 0);
        }
      }
      Arrays.fill(key, (byte) 0);
    } finally {
      out.close();
    }
  }
}
