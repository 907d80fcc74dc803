// Photos, automix and print: an upload of three files shows progress and then the photos,
// automix fills pages that both users see, and a render gives a downloadable PDF.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { addMember, api, launchBrowser, newContext, openEditor, shot, signup, startFolio, threePhotos, waitFor, shotAfter } from './support.mjs';

const SUITE = 'photos';

describe('photos, automix and print', () => {
  let server, browser, ann, bob, project, pageA, pageB;

  before(async () => {
    server = await startFolio();
    browser = await launchBrowser();
    [ann, bob] = await Promise.all([signup(server.url, 'Ann'), signup(server.url, 'Bob')]);
    ({ project } = await api(server.url, ann.token, 'POST', '/projects', { title: 'Beach week', product: 'square-8x8', theme: 'vacation' }));
    await addMember(server.url, ann, project.id, bob, 'editor');
    pageA = await openEditor(await newContext(browser, ann), server.url, project.id);
    pageB = await openEditor(await newContext(browser, bob), server.url, project.id);
  });

  afterEach(async (t) => shotAfter(SUITE, t.name, { A: pageA, B: pageB }));

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('uploads three files with progress, then shows the photos', async () => {
    // Slow the uploads down a little so that the bars are seen moving on any machine.
    await pageA.route('**/api/photos', async (route) => {
      if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 300));
      await route.continue();
    });
    await pageA.locator('[data-testid=photo-input]').setInputFiles(threePhotos());
    const uploads = pageA.locator('[data-testid=upload]');
    await waitFor(async () => (await uploads.count()) === 3, 5000, 'three upload rows');
    await pageA.locator('[data-testid=overall-progress]').waitFor();
    await shot(pageA, SUITE, '01-uploading');
    await waitFor(async () => (await pageA.locator('[data-testid=upload][data-state=done]').count()) === 3, 30_000, 'three finished uploads');
    assert.equal(await pageA.locator('[data-testid=overall-progress]').evaluate((el) => el.value), 1);
    for (const name of ['beach.png', 'palm.png', 'sunset.png']) await pageA.locator('[data-testid=upload]', { hasText: name }).waitFor();
    await waitFor(async () => (await pageA.locator('[data-testid=photo-grid] [data-testid=photo]').count()) === 3, 5000, 'three photos in the panel');
    await waitFor(
      () => pageA.locator('[data-testid=photo-grid] img').evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0)),
      10_000,
      'the photo thumbnails to load',
    );
    await pageA.unroute('**/api/photos');
    await shot(pageA, SUITE, '02-uploaded');
  });

  it('names a file the server refuses', async () => {
    await pageA.locator('[data-testid=photo-input]').setInputFiles([{ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a jpeg') }]);
    const row = pageA.locator('[data-testid=upload]', { hasText: 'broken.jpg' });
    await waitFor(async () => (await row.getAttribute('data-state')) === 'failed', 10_000, 'the broken file to fail');
    assert.match(await row.locator('[role=alert]').innerText(), /^broken\.jpg: /);
  });

  it('automix fills pages that both users see', async () => {
    await pageA.getByRole('button', { name: /Automix/ }).click();
    await pageA.locator('[data-testid=job-automix]').waitFor({ timeout: 10_000 });
    const placed = (p) => p.locator('.canvas img[data-photo-id]');
    await waitFor(async () => (await placed(pageA).count()) >= 3, 60_000, 'A to see the three photos placed');
    await waitFor(async () => (await placed(pageB).count()) >= 3, 10_000, 'B to see the three photos placed');
    await pageA.locator('[data-testid=job-automix][data-state=done]').waitFor({ timeout: 30_000 });
    await waitFor(() => placed(pageB).evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0)), 15_000, 'B’s photos to load');
    assert.ok((await pageB.locator('.canvas [data-testid=page]').count()) >= 1);
    await shot(pageA, SUITE, '03-automix-A');
    await shot(pageB, SUITE, '04-automix-B');
  });

  it('remixes a page with job progress', async () => {
    await pageA.getByRole('button', { name: 'Show page 2' }).click();
    const page2 = pageA.locator('.canvas [data-testid=page]').nth(1);
    const before = await page2.getAttribute('data-layout');
    assert.ok(before, 'automix gave the page a layout');
    await pageA.getByRole('button', { name: 'Remix page' }).click();
    await pageA.locator('[data-testid=job-remix][data-state=done]').waitFor({ timeout: 30_000 });
    const id = await page2.getAttribute('data-page-id');
    const after = () => pageB.locator(`.canvas [data-page-id="${id}"]`).getAttribute('data-layout');
    await waitFor(async () => (await after()) !== before, 10_000, 'B to see the page in another layout');
  });

  it('a photo dropped into a layout slot fits, then pans and zooms for both', async () => {
    await pageA.getByRole('button', { name: 'Show page 2' }).click();
    await pageA.getByRole('tab', { name: 'Insert' }).click();
    await pageA.getByRole('button', { name: /\+ Page after/ }).click();
    await pageA.getByRole('tab', { name: 'Layouts' }).click();
    await pageA.locator('.layout-grid button[aria-label$="with 2 photos"]').first().click();
    const slots = pageA.locator('.canvas .item-photo:has(.slot-empty)');
    await waitFor(async () => (await slots.count()) === 2, 5000, 'two empty slots');
    const slot = slots.first();
    const slotId = await slot.getAttribute('data-item-id');
    await pageA.getByRole('tab', { name: 'Photos' }).click();
    // HTML5 drag and drop from the photo panel into the slot.
    await pageA.locator('[data-testid=photo-grid] img[alt="beach.png"]').dragTo(slot);
    const item = pageA.locator(`.canvas [data-item-id="${slotId}"]`);
    await item.locator('img[data-photo-id]').waitFor({ timeout: 5000 });
    assert.equal(await item.getAttribute('data-view'), '0,0,1');
    // Fitted on the limiting dimension: the image covers the slot and overflows on one axis only.
    const [slotBox, imgBox] = [await item.boundingBox(), await item.locator('img').boundingBox()];
    assert.ok(imgBox.width >= slotBox.width - 1 && imgBox.height >= slotBox.height - 1, 'the photo covers the slot');
    assert.ok(Math.abs(imgBox.width - slotBox.width) < 1.5 || Math.abs(imgBox.height - slotBox.height) < 1.5, 'one side spans the slot exactly');

    await item.click();
    await pageA.getByRole('button', { name: 'Adjust photo' }).click();
    await pageA.getByLabel('Photo zoom').fill('2');
    await waitFor(async () => (await item.getAttribute('data-view')).endsWith(',2'), 5000, 'zoom 2');
    const box = await item.boundingBox();
    await pageA.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await pageA.mouse.down();
    await pageA.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2 + 20, { steps: 4 });
    await pageA.mouse.up();
    const view = (await item.getAttribute('data-view')).split(',').map(Number);
    assert.ok(view[0] < 0 && view[1] < 0, `dragging right and down shows more of the left and top: ${view}`);
    assert.equal(view[2], 2);
    const boxAfter = await item.getAttribute('data-box');
    assert.equal(boxAfter, await item.getAttribute('data-box'), 'panning does not move the item');
    await waitFor(async () => (await pageB.locator(`.canvas [data-item-id="${slotId}"]`).getAttribute('data-view')) === view.join(','), 5000, 'B to see the pan and zoom');
    await pageA.getByRole('button', { name: 'Done adjusting' }).click();
    await shot(pageB, SUITE, '05-slot-pan-zoom-B');
  });

  it('renders a downloadable PDF, with preflight findings marked on the pages', async () => {
    await pageA.getByRole('tab', { name: 'Print' }).click();
    await pageA.getByRole('button', { name: 'Check for print issues' }).click();
    await pageA.locator('.print .ok, [data-testid=findings]').first().waitFor({ timeout: 15_000 });
    await pageA.getByRole('button', { name: 'Render PDF' }).click();
    const done = pageA.locator('[data-testid=downloads]');
    const anyway = pageA.getByRole('button', { name: 'Render anyway' });
    await waitFor(async () => (await done.count()) > 0 || (await anyway.count()) > 0, 120_000, 'the render to finish or be blocked by preflight');
    if ((await done.count()) === 0) {
      await shot(pageA, SUITE, '05-render-blocked');
      await anyway.click();
      await done.waitFor({ timeout: 120_000 });
    }
    await shot(pageA, SUITE, '06-rendered');
    // The download as the app makes it: the bearer header (the link's ?token= is a courtesy).
    const url = await pageA.locator('[data-testid=pdf-interior]').getAttribute('data-url');
    const res = await fetch(new URL(url, server.url), { headers: { Authorization: `Bearer ${ann.token}` } });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    // The browser downloads it too.
    const [download] = await Promise.all([pageA.waitForEvent('download'), pageA.locator('[data-testid=pdf-interior]').click()]);
    const { readFile } = await import('node:fs/promises');
    const saved = await readFile(await download.path());
    assert.equal(saved.subarray(0, 5).toString('latin1'), '%PDF-');
  });

  it('lists versions and restores the one taken before automix, for both', async () => {
    await pageA.getByRole('tab', { name: 'Versions' }).click();
    const rows = pageA.locator('[data-testid=versions] li');
    await rows.first().waitFor({ timeout: 10_000 });
    const before = pageA.locator('[data-testid=versions] li', { hasText: 'automix' }).last();
    await before.getByRole('button', { name: 'Restore' }).click();
    // What automix made goes. The page A made since, with the photo A dropped into its slot,
    // is a person's work, so the restore keeps it (SPEC §15): one photo is left.
    await waitFor(async () => (await pageB.locator('.canvas img[data-photo-id]').count()) === 1, 10_000, "B to see automix's photos gone and A's own photo kept");
    await waitFor(async () => (await pageA.locator('.canvas img[data-photo-id]').count()) === 1, 10_000, 'A to see the same');
    await shot(pageA, SUITE, '07-restored');
  });
});
