import fs from 'node:fs';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Options of `FileSpanExporter`. */
export interface FileSpanExporterOptions {
  /** The file written, e.g. `.data/traces/orders.jsonl`; its directory is created when missing. */
  file: string;
  /** Past this size the file is renamed to `<file>.1` (replacing the older one) and a new one begun. */
  maxBytes?: number;
}

/** 10 MiB per file, so a service keeps at most twice that on disk. */
export const DEFAULT_TRACE_FILE_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Writes spans as OTLP/JSON, one `ExportTraceServiceRequest` per line (the body an OTLP/HTTP JSON
 * exporter would POST), so the local system keeps its traces with nothing else installed and any
 * OTLP tool can read them back. Bounded: one rotation, `<file>.1`.
 */
export class FileSpanExporter implements SpanExporter {
  private readonly maxBytes: number;
  private size: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileSpanExporterOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_TRACE_FILE_MAX_BYTES;
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.size = fileSize(options.file);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
      return;
    }
    // One copy of the serialized batch, with its newline (a batch can be hundreds of kilobytes).
    const line = Buffer.allocUnsafe(body.length + 1);
    line.set(body);
    line[body.length] = 0x0a;
    // One write at a time, so lines never interleave and the size stays exact.
    this.writing = this.writing.then(async () => {
      try {
        if (this.size > 0 && this.size + line.length > this.maxBytes) {
          await fs.promises.rename(this.options.file, `${this.options.file}.1`).catch(() => undefined);
          this.size = 0;
        }
        await fs.promises.appendFile(this.options.file, line);
        this.size += line.length;
        resultCallback({ code: ExportResultCode.SUCCESS });
      } catch (error) {
        resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
  }

  async forceFlush(): Promise<void> {
    await this.writing;
  }

  async shutdown(): Promise<void> {
    await this.writing;
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
