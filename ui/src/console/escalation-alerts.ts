import { useCallback, useState } from 'react';

/**
 * The browser notification and short sound of a new escalation. The browser asks for permission
 * only on a user gesture (the "Turn on alerts" button), never on page load; the sound is a tone made
 * with Web Audio (no file to fetch), played only after that gesture unlocked audio.
 */

export type AlertPermission = NotificationPermission | 'unsupported';

const currentPermission = (): AlertPermission =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;

let audio: AudioContext | null = null;

/** A two-note chime, 0.3 s, quiet. */
function chime(): void {
  if (!audio) return;
  const start = audio.currentTime;
  for (const [index, frequency] of [880, 1320].entries()) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + index * 0.15);
    gain.gain.exponentialRampToValueAtTime(0.15, start + index * 0.15 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + index * 0.15 + 0.14);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + index * 0.15);
    oscillator.stop(start + index * 0.15 + 0.15);
  }
}

/** Alerts for new escalations: whether they are on, the button's handler, and `alert(...)`. */
export function useEscalationAlerts() {
  const [permission, setPermission] = useState<AlertPermission>(currentPermission);
  const [enabled, setEnabled] = useState(false);

  /** On a click: asks for notification permission and unlocks the sound. */
  const enable = useCallback(async () => {
    if (typeof AudioContext !== 'undefined') {
      audio ??= new AudioContext();
      await audio.resume().catch(() => undefined);
    }
    if (typeof Notification !== 'undefined' && Notification.permission === 'default')
      setPermission(await Notification.requestPermission());
    else setPermission(currentPermission());
    setEnabled(true);
  }, []);

  /** A new escalation: the chime, and a notification when allowed (one at a time: they share a tag). */
  const alert = useCallback(
    (title: string, body: string, onClick?: () => void) => {
      if (!enabled) return;
      chime();
      if (currentPermission() !== 'granted') return;
      const notification = new Notification(title, { body, tag: 'switchboard-escalation' });
      notification.onclick = () => {
        window.focus();
        onClick?.();
        notification.close();
      };
    },
    [enabled],
  );

  return { permission, enabled, enable, alert };
}
