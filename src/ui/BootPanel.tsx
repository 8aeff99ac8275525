import { useState } from 'preact/hooks';
import type { BootSource, DiskDrive } from '../emulator/messages.js';
import { DEFAULT_MEMORY_MB, fileSource, guessKind, KIND_LABELS, MEMORY_SIZES_MB, urlSource, type FileKind } from './boot-choice.js';

export interface BootPanelProps {
  boot(source: BootSource, memoryMB: number, network?: { room: string }): void;
  close(): void;
}

/** "What to boot": the default guest, a local file (disk, CD or kernel + initrd) or a URL, and the memory size. */
export function BootPanel({ boot, close }: BootPanelProps) {
  const [memoryMB, setMemory] = useState(DEFAULT_MEMORY_MB);
  const [file, setFile] = useState<File | undefined>();
  const [kind, setKind] = useState<FileKind>('hdd');
  const [initrd, setInitrd] = useState<File | undefined>();
  const [cmdline, setCmdline] = useState('console=tty0 console=ttyS0');
  const [url, setUrl] = useState('');
  const [urlKind, setUrlKind] = useState<DiskDrive>('cdrom');
  const [problem, setProblem] = useState('');
  const [fresh, setFresh] = useState(false);
  const [networked, setNetworked] = useState(false);
  const [room, setRoom] = useState('lan');

  const go = (source: BootSource) => {
    boot(source, memoryMB, networked && room.trim() ? { room: room.trim() } : undefined);
    close();
  };

  return (
    <section class="panel boot-panel" aria-label="what to boot">
      <h2>Boot something else</h2>
      <label>
        Memory{' '}
        <select value={memoryMB} onChange={(e) => setMemory(Number(e.currentTarget.value))}>
          {MEMORY_SIZES_MB.map((mb) => (
            <option value={mb}>{mb} MiB</option>
          ))}
        </select>
      </label>
      <label title="An NE2000 network card cabled to a room of this server's relay: VMs in the same room share a LAN (DHCP from the relay)">
        <input type="checkbox" checked={networked} onChange={(e) => setNetworked(e.currentTarget.checked)} /> network, room{' '}
        <input size={12} aria-label="relay room" value={room} disabled={!networked} onInput={(e) => setRoom(e.currentTarget.value)} />
      </label>
      <div class="row">
        <button onClick={() => go({ kind: 'default' })}>The Debian guest (default)</button>
      </div>
      <fieldset>
        <legend>A file from this computer</legend>
        <input
          type="file"
          aria-label="image file"
          onChange={(e) => {
            const chosen = e.currentTarget.files?.[0];
            setFile(chosen);
            if (chosen) setKind(guessKind(chosen.name, chosen.size));
          }}
        />
        <label>
          as{' '}
          <select aria-label="boot the file as" value={kind} onChange={(e) => setKind(e.currentTarget.value as FileKind)}>
            {(Object.keys(KIND_LABELS) as FileKind[]).map((k) => (
              <option value={k}>{KIND_LABELS[k]}</option>
            ))}
          </select>
        </label>
        {kind === 'kernel' && (
          <div class="row">
            <label>
              initrd <input type="file" aria-label="initrd file" onChange={(e) => setInitrd(e.currentTarget.files?.[0])} />
            </label>
            <label>
              command line <input size={40} value={cmdline} onInput={(e) => setCmdline(e.currentTarget.value)} />
            </label>
          </div>
        )}
        <button disabled={!file} onClick={() => file && go(fileSource(file, kind, initrd, cmdline, fresh))}>
          Boot the file
        </button>
      </fieldset>
      <fieldset>
        <legend>An image on the web (read as needed, with HTTP range requests)</legend>
        <input type="url" aria-label="image URL" placeholder="https://example.org/disk.img" size={48} value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        <select aria-label="boot the URL as" value={urlKind} onChange={(e) => setUrlKind(e.currentTarget.value as DiskDrive)}>
          {(['cdrom', 'hdd', 'floppy'] as DiskDrive[]).map((k) => (
            <option value={k}>{KIND_LABELS[k]}</option>
          ))}
        </select>
        <button
          disabled={!url.trim()}
          onClick={() => {
            try {
              go(urlSource(url, urlKind, document.baseURI, fresh));
            } catch {
              setProblem(`"${url}" is not a web address.`);
            }
          }}
        >
          Boot the URL
        </button>
        {problem && <p class="problem">{problem}</p>}
      </fieldset>
      <label title="Disk writes are kept in this browser per image; tick to start from the image as it is">
        <input type="checkbox" checked={fresh} onChange={(e) => setFresh(e.currentTarget.checked)} /> forget earlier disk writes to this image
      </label>{' '}
      <button class="close" onClick={close}>
        Cancel
      </button>
    </section>
  );
}
