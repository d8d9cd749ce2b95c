// Task-id hash: mesos-dns's known vector and z-base-32 itself.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { taskHash, zbase32 } from '../../src/records/task-hash.ts';

describe('taskHash', () => {
  it('matches mesos-dns TestHashString: hashString("test") == "iffe9"', () => {
    assert.equal(taskHash('test'), 'iffe9');
  });

  it('is the first five z-base-32 characters of SHA-1', () => {
    for (const id of ['web.5a3e3f2c-8d7b-11e6-9a0b-0242ac110002', '', 'ü-ñ', 'x'.repeat(500)]) {
      const full = zbase32(createHash('sha1').update(id).digest());
      assert.equal(full.length, 32);
      assert.equal(taskHash(id), full.slice(0, 5));
    }
  });

  it('differs for different ids', () => {
    assert.notEqual(taskHash('web.1'), taskHash('web.2'));
  });
});

describe('zbase32', () => {
  it('encodes with the z-base-32 alphabet, most significant bits first', () => {
    // RFC 4648 base32 of "test" is ORSXG5A=; the same 5-bit groups in z-base-32:
    assert.equal(zbase32(Buffer.from('test')), 'qt1zg7y');
    assert.equal(zbase32(new Uint8Array([0])), 'yy');
    assert.equal(zbase32(new Uint8Array([0xff])), '9h');
    assert.equal(zbase32(new Uint8Array([])), '');
  });
});
