// Runs ONNX models with onnxruntime (the npm package onnxruntime-node) for tests/export_check.py.
//
//   node export_ort.js ORT_PACKAGE_DIR JOBS.json
//
// JOBS.json is a list of {"model": FILE.onnx, "input": FILE, "rows": N, "cols": M, "dtype":
// "f32"|"f64", "output": FILE}: the input file holds N x M little-endian floats or doubles; the
// output file gets the "output" tensor's values, then, when the model has a "class" output, its
// int64 values. A failure prints the message and exits 1.
'use strict';
const fs = require('fs');

async function main() {
    const ort = require(process.argv[2]);
    const jobs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
    for (const job of jobs) {
        const session = await ort.InferenceSession.create(job.model);
        const bytes = fs.readFileSync(job.input);
        const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        const data = job.dtype === 'f64' ? new Float64Array(buf) : new Float32Array(buf);
        const type = job.dtype === 'f64' ? 'float64' : 'float32';
        const result = await session.run({input: new ort.Tensor(type, data, [job.rows, job.cols])});
        const parts = [Buffer.from(result.output.data.buffer, result.output.data.byteOffset,
                                   result.output.data.byteLength)];
        if (result.class) {
            const c = result.class.data; // BigInt64Array
            parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
        }
        fs.writeFileSync(job.output, Buffer.concat(parts));
    }
}

main().catch((e) => {
    console.error(String(e && e.message ? e.message : e));
    process.exit(1);
});
