"""Checks that every file named on the command line is whole TFRecord
records: each length and data CRC-32C (masked) matches, and the last record
ends exactly at the end of the file (no torn record). Prints
"<N> complete records, no torn record" per file, else what is wrong.
"""
import struct
import sys

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)


def masked_crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def check(path):
    data = open(path, "rb").read()
    offset, count = 0, 0
    while offset < len(data):
        if len(data) - offset < 12:
            return "torn record header at byte %d" % offset
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        if masked_crc32c(header) != crc:
            return "bad length CRC at byte %d" % offset
        end = offset + 12 + length + 4
        if end > len(data):
            return "torn record at byte %d" % offset
        payload = data[offset + 12:offset + 12 + length]
        (crc,) = struct.unpack("<I", data[end - 4:end])
        if masked_crc32c(payload) != crc:
            return "bad data CRC at byte %d" % offset
        offset, count = end, count + 1
    return "%d complete records, no torn record" % count


for name in sys.argv[1:]:
    print(check(name))
