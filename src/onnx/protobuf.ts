/**
 * A minimal protobuf encoder: just the wire types ONNX's messages use (varint, 64-bit, length-delimited,
 * 32-bit). Fields are written in the order the caller gives; nested messages are encoded into their own
 * writer first so their length prefix is known.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const encoder = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  private readonly view32 = new DataView(new ArrayBuffer(8));

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawVarint(value: number | bigint): void {
    // Negative int64 values are sent as their 64-bit two's complement: ten bytes on the wire.
    let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  private smallVarint(value: number): void {
    if (value < 0 || value > 0x7fffffff || !Number.isInteger(value)) {
      this.rawVarint(value);
      return;
    }
    this.reserve(5);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }

  private tag(field: number, wire: number): void {
    this.smallVarint((field << 3) | wire);
  }

  /** int32/int64/uint64/enum/bool field. */
  int(field: number, value: number | bigint): this {
    if (!Number.isSafeInteger(value) && typeof value !== 'bigint') {
      throw new RangeError(`protobuf int field ${field}: ${value} is not a safe integer`);
    }
    this.tag(field, WIRE_VARINT);
    if (typeof value === 'number') this.smallVarint(value);
    else this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.view32.setFloat32(0, value, true);
    return this.fixed(field, WIRE_FIXED32, 4);
  }

  double(field: number, value: number): this {
    this.view32.setFloat64(0, value, true);
    return this.fixed(field, WIRE_FIXED64, 8);
  }

  /** A fixed-width field whose `size` little-endian bytes the caller has put at the start of view32. */
  private fixed(field: number, wire: number, size: number): this {
    this.tag(field, wire);
    this.reserve(size);
    for (let i = 0; i < size; i++) this.buf[this.len++] = this.view32.getUint8(i);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.smallVarint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  message(field: number, sub: ProtoWriter): this {
    return this.bytes(field, sub.finish());
  }

  /** The encoded bytes (a view; do not write to this writer afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
