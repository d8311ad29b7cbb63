package functions

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Code limits (AWS Lambda: 50 MB zipped upload, 250 MB unzipped).
const (
	MaxZipBytes      = 50 << 20
	MaxUnzippedBytes = 250 << 20
)

// unzipError is AWS's answer to a zip it cannot use.
func unzipError() error {
	return errInvalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
}

// checkZip opens a function's zip and checks every entry before anything is written: no entry
// may leave the code directory (absolute paths, "..", symlinks pointing out), the total size is
// bounded, and the entry point the runtime starts must be there.
func checkZip(data []byte, entry string) (*zip.Reader, error) {
	if len(data) == 0 {
		return nil, errInvalid("Uploaded file must be a non-empty zip")
	}
	if len(data) > MaxZipBytes {
		return nil, &Error{Status: 413, Type: "RequestEntityTooLargeException",
			Message: fmt.Sprintf("Zipped size must be smaller than %d bytes", MaxZipBytes)}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, unzipError()
	}
	var total uint64
	found := false
	for _, f := range zr.File {
		name := f.Name
		if strings.Contains(name, `\`) || path.IsAbs(name) || !filepath.IsLocal(strings.TrimSuffix(name, "/")) && name != "./" {
			return nil, errInvalid("Could not unzip uploaded file. The zip contains a path outside the function's directory: %q", name)
		}
		total += f.UncompressedSize64
		if total > MaxUnzippedBytes {
			return nil, errInvalid("Unzipped size must be smaller than %d bytes", MaxUnzippedBytes)
		}
		if f.Mode()&os.ModeSymlink != 0 {
			target, err := readEntry(f, 4096)
			if err != nil {
				return nil, unzipError()
			}
			t := string(target)
			if path.IsAbs(t) || !filepath.IsLocal(path.Join(path.Dir(name), t)) {
				return nil, errInvalid("Could not unzip uploaded file. The zip contains a symbolic link outside the function's directory: %q", name)
			}
		}
		if path.Clean(name) == entry && !f.FileInfo().IsDir() {
			found = true
		}
	}
	if !found {
		return nil, errInvalid("The zip file does not contain an executable '%s' at its root: the %s runtime starts it", entry, "OS-only")
	}
	return zr, nil
}

func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("entry too long")
	}
	return b, nil
}

// codeHash is the zip's SHA-256: hex for the directory name, base64 for CodeSha256 as AWS shows it.
func codeHash(data []byte) (hexSum, b64Sum string) {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:]), base64.StdEncoding.EncodeToString(s[:])
}

// unpack writes a checked zip into dir (created; must not exist), through a temporary sibling
// renamed into place so a half-written tree is never used. The entry point is made executable
// whatever mode the zip recorded, since zips made on Windows carry none.
func unpack(zr *zip.Reader, dir, entry string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil // same code already unpacked
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-")
	if err != nil {
		return err
	}
	if err := extract(zr, tmp, entry); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil
		}
		return err
	}
	return nil
}

func extract(zr *zip.Reader, root, entry string) error {
	for _, f := range zr.File {
		name := path.Clean(f.Name)
		dst := filepath.Join(root, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			target, err := readEntry(f, 4096)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(string(target), dst); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		perm := mode.Perm() | 0o400
		if name == entry {
			perm |= 0o555
		}
		if err := writeEntry(f, dst, perm); err != nil {
			return err
		}
	}
	return nil
}

func writeEntry(f *zip.File, dst string, perm os.FileMode) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	// The declared size bounds the copy: a zip that lies about it cannot fill the disk.
	_, err = io.Copy(out, io.LimitReader(rc, int64(f.UncompressedSize64)))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
