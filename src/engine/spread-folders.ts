// Asks the file system to spread the folders made in a directory over all of it: ext4's `T` attribute
// ("top of directory hierarchies" for its Orlov allocator), set with `chattr +T`. Without it ext4 puts a
// new folder beside its parent, in the same block group, where on a file system without a journal every
// new inode is searched for past each inode freed there in the last minutes (fs/ext4/ialloc.c,
// `recently_deleted`, up to six minutes while the freed inodes' table blocks are unwritten): after a
// workspace or many store entries were deleted, each node's staging folder and the files its command
// makes in it cost a scan of thousands of inodes, a few hundred microseconds each. Spread, a staging
// folder goes to a group with few folders, and the files made in it follow it there.
//
// Best effort and asynchronous: where `chattr` is missing or the file system has no such attribute
// nothing changes, and the first folders made before it is set stay beside their parent. Nothing else
// differs: the attribute steers only where new folders go, and is not inherited by them.
import { spawn } from 'node:child_process';

export function spreadSubfolders(dir: string): void {
  try {
    const child = spawn('chattr', ['+T', dir], { stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No process could be started: folders stay where ext4 puts them by default.
  }
}
