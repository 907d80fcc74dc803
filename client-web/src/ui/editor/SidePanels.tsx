// The right-hand panels: the book wall, people (presence, members, invites), versions and print.

import { useState } from 'react';

import { PeoplePanel } from './PeoplePanel';
import { PrintPanel } from './PrintPanel';
import { Tabs } from './Tabs';
import { VersionsPanel } from './VersionsPanel';
import { WallPanel } from './WallPanel';

const TABS = ['Wall', 'People', 'Versions', 'Print'] as const;

export function SidePanels() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('Wall');
  return (
    <aside className="side-panels" aria-label="Book panels">
      <Tabs tabs={TABS} current={tab} onSelect={setTab}>
        {/* The wall stays mounted so that comments keep arriving while another tab is open. */}
        <div hidden={tab !== 'Wall'}>
          <WallPanel />
        </div>
        {tab === 'People' && <PeoplePanel />}
        {tab === 'Versions' && <VersionsPanel />}
        {tab === 'Print' && <PrintPanel />}
      </Tabs>
    </aside>
  );
}
