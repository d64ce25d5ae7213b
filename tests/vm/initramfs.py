# SPDX-License-Identifier: GPL-2.0-only
"""The guest's initramfs: an uncompressed newc cpio archive written directly
(no cpio tool, no root needed for the device node). Uncompressed because
the kernel would otherwise inflate it on an emulated CPU."""
import stat


class Cpio:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 0

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        head = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.f.write(head + name.encode() + b"\0")
        self._pad()
        self.f.write(data)
        self._pad()

    def _pad(self):
        self.f.write(b"\0" * (-self.f.tell() % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.close()
